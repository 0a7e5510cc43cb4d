#include "agent/host/env_file.h"

#include "common/file_util.h"

namespace ecsd::host {

EnvMap parse_env_file(const std::string& text) {
  EnvMap out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line = trim(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(trim(line.substr(0, eq)));
    std::string_view v = trim(line.substr(eq + 1));
    if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
      v = v.substr(1, v.size() - 2);
    out[key] = std::string(v);
  }
  return out;
}

EnvMap effective_config(const std::string& path, char** env) {
  EnvMap m;
  if (auto text = read_file(path)) m = parse_env_file(*text);
  for (char** e = env; e && *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = kv.substr(0, eq);
    if (k.starts_with("ECS_") || k.starts_with("AWS_") || k.starts_with("ECSD_") || k == "HOME")
      m[std::string(k)] = std::string(kv.substr(eq + 1));
  }
  return m;
}

}  // namespace ecsd::host
