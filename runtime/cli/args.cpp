#include "runtime/cli/args.h"

namespace ecsd::runtime::cli {

std::string Parsed::get(std::string_view name, std::string def) const {
  auto it = values.find(std::string(name));
  if (it == values.end() || it->second.empty()) return def;
  return it->second.back();
}

std::vector<std::string> Parsed::all(std::string_view name) const {
  auto it = values.find(std::string(name));
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Result<Parsed> parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& flags,
                          bool stop_at_positional) {
  Parsed out;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      if (stop_at_positional) options_done = true;
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string_view body = a;
    body.remove_prefix(a[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const FlagSpec* f = nullptr;
    for (const auto& spec : flags)
      if (spec.name == body || (!spec.alias.empty() && spec.alias == body)) f = &spec;
    if (!f) return fail_invalid("unknown option " + a);
    std::string value;
    if (f->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else {
        if (i + 1 >= args.size()) return fail_invalid("option " + a + " needs a value");
        value = args[++i];
      }
    } else if (inline_value) {
      value = *inline_value;
    } else {
      value = "true";
    }
    out.values[std::string(f->name)].push_back(value);
  }
  return out;
}

}  // namespace ecsd::runtime::cli
