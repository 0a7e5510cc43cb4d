// Table-driven ECS_* configuration (see config.h).
#include "agent/config/config.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

extern char** environ;

namespace ecsd::config {

namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// A parser applies a textual value to the config; returns an error text, or ""
// when fine. `warn` receives below-minimum notes (the default is used then).
using Apply = std::function<std::string(Config&, const std::string& value, std::string& warn)>;

struct Var {
  const char* key;
  const char* default_value;  // "" is a valid default ("" for ECS_BACKEND_HOST)
  const char* meaning;
  Apply apply;
};

std::optional<bool> parse_bool(std::string_view s) {
  // strconv.ParseBool
  static const std::set<std::string_view> t{"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string_view> f{"0", "f", "F", "FALSE", "false", "False"};
  if (t.count(s)) return true;
  if (f.count(s)) return false;
  return std::nullopt;
}

std::optional<int64_t> parse_nonneg_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Apply bool_var(bool Config::*field) {
  return [field](Config& c, const std::string& v, std::string&) -> std::string {
    auto b = parse_bool(v);
    if (!b) return "not a boolean (true/false)";
    c.*field = *b;
    return "";
  };
}

Apply duration_var(milliseconds Config::*field, milliseconds minimum, const char* default_value) {
  return [=](Config& c, const std::string& v, std::string& warn) -> std::string {
    auto d = parse_go_duration(v);
    if (!d) return d.error().message;
    if (*d < minimum) {
      warn = "below the minimum " + format_go_duration(minimum) + ", using the default " + default_value;
      c.*field = *parse_go_duration(default_value);
      return "";
    }
    c.*field = *d;
    return "";
  };
}

Apply ports_var(std::vector<uint16_t> Config::*field) {
  return [field](Config& c, const std::string& v, std::string&) -> std::string {
    nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return "not a JSON array of port numbers ([22, 2375])";
    std::vector<uint16_t> ports;
    for (const auto& p : j) {
      if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > 65535)
        return "not a JSON array of port numbers 0-65535 ([22, 2375])";
      ports.push_back(static_cast<uint16_t>(p.get<int64_t>()));
    }
    c.*field = std::move(ports);
    return "";
  };
}

Apply string_map_var(std::map<std::string, std::string> Config::*field) {
  return [field](Config& c, const std::string& v, std::string&) -> std::string {
    if (trim(v).empty()) {
      (c.*field).clear();
      return "";
    }
    nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "not a JSON object of strings ({\"key\": \"value\"})";
    std::map<std::string, std::string> m;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_string()) return "value of \"" + it.key() + "\" is not a string";
      if (it.key().empty()) return "empty key";
      m[it.key()] = it.value().get<std::string>();
    }
    c.*field = std::move(m);
    return "";
  };
}

const std::vector<Var>& table() {
  static const std::vector<Var> vars = {
      {"ECS_CLUSTER", "default", "cluster this instance joins",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         if (v.empty()) return "empty cluster name";
         c.cluster = v;
         return "";
       }},
      {"ECS_DATADIR", "", "state directory (agent state, images, containers)",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         if (!v.empty() && v[0] != '/') return "not an absolute path";
         c.data_dir = v;
         return "";
       }},
      {"ECS_LOGLEVEL", "info", "log level: debug, info, warn, error, crit",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         static const std::set<std::string> ok{"debug", "info", "warn", "error", "crit"};
         std::string l = v;
         std::transform(l.begin(), l.end(), l.begin(), ::tolower);
         if (!ok.count(l)) return "not one of debug, info, warn, error, crit";
         c.log_level = l;
         return "";
       }},
      {"ECS_LOGFILE", "", "also log to this file",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         c.log_file = v;
         return "";
       }},
      {"ECS_RESERVED_MEMORY", "0", "MiB of memory not offered to tasks",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         auto n = parse_nonneg_int(v);
         if (!n) return "not a non-negative integer (MiB)";
         c.reserved_memory_mib = *n;
         return "";
       }},
      {"ECS_RESERVED_PORTS", "[22, 2375, 2376, 51678, 51679]", "TCP host ports not offered to tasks",
       ports_var(&Config::reserved_ports)},
      {"ECS_RESERVED_PORTS_UDP", "[]", "UDP host ports not offered to tasks", ports_var(&Config::reserved_ports_udp)},
      {"ECS_DYNAMIC_HOST_PORT_RANGE", "49153-65535", "host ports for bridge-mode mappings without hostPort",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         auto dash = v.find('-');
         auto first = parse_nonneg_int(trim(std::string_view(v).substr(0, dash)));
         auto last = dash == std::string::npos ? std::nullopt
                                               : parse_nonneg_int(trim(std::string_view(v).substr(dash + 1)));
         if (!first || !last || *first < 1 || *last > 65535 || *first > *last)
           return "not a port range first-last within 1-65535 (49153-65535)";
         c.dynamic_host_port_first = static_cast<uint16_t>(*first);
         c.dynamic_host_port_last = static_cast<uint16_t>(*last);
         return "";
       }},
      {"ECS_CONTAINER_STOP_TIMEOUT", "30s", "SIGTERM -> SIGKILL grace when a container has no stopTimeout",
       duration_var(&Config::container_stop_timeout, 1s, "30s")},
      {"ECS_CONTAINER_START_TIMEOUT", "3m", "time allowed to create and start a container",
       duration_var(&Config::container_start_timeout, 45s, "3m")},
      {"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "3h", "how long stopped tasks are kept before cleanup",
       duration_var(&Config::task_cleanup_wait, 1min, "3h")},
      {"ECS_IMAGE_PULL_BEHAVIOR", "default", "image pull policy: default, always, once, prefer-cached",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         if (v == "default") c.image_pull_behavior = ImagePullBehavior::default_;
         else if (v == "always") c.image_pull_behavior = ImagePullBehavior::always;
         else if (v == "once") c.image_pull_behavior = ImagePullBehavior::once;
         else if (v == "prefer-cached") c.image_pull_behavior = ImagePullBehavior::prefer_cached;
         else return "not one of default, always, once, prefer-cached";
         return "";
       }},
      {"ECS_IMAGE_CLEANUP_INTERVAL", "30m", "interval between image cleanup cycles",
       duration_var(&Config::image_cleanup_interval, 10min, "30m")},
      {"ECS_IMAGE_MINIMUM_CLEANUP_AGE", "1h", "minimum time since pull before an image may be removed",
       duration_var(&Config::image_minimum_cleanup_age, 0ms, "1h")},
      {"ECS_NUM_IMAGES_DELETE_PER_CYCLE", "5", "images removed per cleanup cycle",
       [](Config& c, const std::string& v, std::string& warn) -> std::string {
         auto n = parse_nonneg_int(v);
         if (!n) return "not a non-negative integer";
         if (*n < 1) {
           warn = "below the minimum 1, using the default 5";
           c.num_images_delete_per_cycle = 5;
         } else {
           c.num_images_delete_per_cycle = *n;
         }
         return "";
       }},
      {"ECS_DISABLE_IMAGE_CLEANUP", "false", "never remove unused images", bool_var(&Config::disable_image_cleanup)},
      {"ECS_DISABLE_PRIVILEGED", "false", "refuse privileged containers", bool_var(&Config::disable_privileged)},
      {"ECS_AVAILABLE_LOGGING_DRIVERS", "[\"json-file\",\"none\"]", "log drivers advertised to ECS",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
         if (j.is_discarded() || !j.is_array()) return "not a JSON array of strings ([\"json-file\",\"awslogs\"])";
         std::vector<std::string> d;
         for (const auto& s : j) {
           if (!s.is_string()) return "not a JSON array of strings ([\"json-file\",\"awslogs\"])";
           d.push_back(s.get<std::string>());
         }
         c.available_logging_drivers = std::move(d);
         return "";
       }},
      {"ECS_INSTANCE_ATTRIBUTES", "", "custom attributes registered with the instance (JSON object)",
       string_map_var(&Config::instance_attributes)},
      {"ECS_CONTAINER_INSTANCE_TAGS", "", "tags of the container instance (JSON object)",
       string_map_var(&Config::instance_tags)},
      {"ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM", "none", "also register the EC2 instance's tags: none, ec2",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         if (v != "none" && v != "ec2") return "not one of none, ec2";
         c.instance_tags_source = v;
         return "";
       }},
      {"ECS_ENABLE_TASK_IAM_ROLE", "false", "serve task IAM role credentials to containers",
       bool_var(&Config::enable_task_iam_role)},
      {"ECS_CHECKPOINT", "true", "save agent state in the data directory", bool_var(&Config::checkpoint)},
      {"ECS_UPDATES_ENABLED", "false", "accepted for compatibility; ecsd does not update itself",
       bool_var(&Config::update_enabled)},
      {"ECS_BACKEND_HOST", "", "ECS API endpoint override (host or URL)",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         c.backend_host = v;
         return "";
       }},
      {"AWS_DEFAULT_REGION", "", "region (else AWS_REGION, else the instance's region from IMDS)",
       [](Config& c, const std::string& v, std::string&) -> std::string {
         if (!v.empty() && v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
           return "not a region name (us-east-1)";
         c.region = v;
         return "";
       }},
  };
  return vars;
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> m;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    m.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return m;
}

}  // namespace

std::string_view to_string(ImagePullBehavior b) {
  switch (b) {
    case ImagePullBehavior::default_: return "default";
    case ImagePullBehavior::always: return "always";
    case ImagePullBehavior::once: return "once";
    case ImagePullBehavior::prefer_cached: return "prefer-cached";
  }
  return "default";
}

Result<std::chrono::milliseconds> parse_go_duration(std::string_view s) {
  std::string orig(s);
  auto bad = [&]() { return fail_invalid("invalid duration \"" + orig + "\" (use Go syntax: 30s, 1m30s, 1.5h, 300ms)"); };
  if (s.empty()) return bad();
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return milliseconds(0);
  if (s.empty()) return bad();
  long double total_ns = 0;
  while (!s.empty()) {
    size_t i = 0;
    std::string num;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) num += s[i++];
    if (num.empty() || num == "." || std::count(num.begin(), num.end(), '.') > 1) return bad();
    size_t j = i;
    while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    std::string_view unit = s.substr(i, j - i);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return bad();
    total_ns += std::strtold(num.c_str(), nullptr) * mult;
    s.remove_prefix(j);
  }
  if (total_ns > 9.2e18) return bad();
  auto ms = static_cast<int64_t>(total_ns / 1e6L);
  return milliseconds(neg ? -ms : ms);
}

std::string format_go_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  int64_t h = ms / 3600000, m = (ms / 60000) % 60, sec = (ms / 1000) % 60, frac = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(sec);
  if (frac) {
    std::string f = std::to_string(frac);
    f = std::string(3 - f.size(), '0') + f;
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

Result<std::map<std::string, std::pair<std::string, int>>> parse_env_file(std::string_view text,
                                                                         std::string_view path) {
  std::map<std::string, std::pair<std::string, int>> out;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    auto eq = line.find('=');
    std::string where = std::string(path) + ":" + std::to_string(lineno);
    if (eq == std::string_view::npos) return fail_invalid(where + ": expected KEY=VALUE, got \"" + std::string(line) + "\"");
    std::string key(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    if (key.empty() || key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                           std::string::npos)
      return fail_invalid(where + ": invalid variable name \"" + key + "\"");
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    out[key] = {value, lineno};
  }
  return out;
}

Result<Loaded> load(const LoadOptions& options) {
  std::map<std::string, std::pair<std::string, int>> file_vars;
  if (!options.file_path.empty()) {
    if (::access(options.file_path.c_str(), F_OK) == 0) {
      auto text = read_file(options.file_path);
      if (!text) return fail(text.error().with_context("reading the agent configuration"));
      auto parsed = parse_env_file(*text, options.file_path);
      if (!parsed) return fail(parsed.error());
      file_vars = std::move(*parsed);
    }
  }
  std::map<std::string, std::string> env = options.env ? *options.env : process_env();

  Loaded out;
  std::string errors;
  std::set<std::string> known;
  for (const auto& var : table()) {
    known.insert(var.key);
    Entry e{var.key, var.default_value, "default", var.meaning};
    if (std::string(var.key) == "ECS_DATADIR") e.value = options.default_data_dir;
    if (auto f = file_vars.find(var.key); f != file_vars.end()) {
      e.value = f->second.first;
      e.source = options.file_path + ":" + std::to_string(f->second.second);
    }
    if (auto v = env.find(var.key); v != env.end()) {
      e.value = v->second;
      e.source = "env";
    }
    // The Go agent falls back on AWS_REGION when AWS_DEFAULT_REGION is unset.
    if (std::string(var.key) == "AWS_DEFAULT_REGION" && e.source == "default") {
      if (auto v = env.find("AWS_REGION"); v != env.end() && !v->second.empty()) {
        e.value = v->second;
        e.source = "env (AWS_REGION)";
      }
    }
    std::string warn;
    std::string err = var.apply(out.config, e.value, warn);
    if (!err.empty()) {
      if (!errors.empty()) errors += "; ";
      errors += std::string(var.key) + "=\"" + e.value + "\" (" + e.source + "): " + err;
    }
    if (!warn.empty()) out.warnings.push_back(std::string(var.key) + "=\"" + e.value + "\" (" + e.source + "): " + warn);
    out.entries.push_back(std::move(e));
  }
  if (!errors.empty()) return fail_invalid("invalid configuration: " + errors);
  for (const auto& [k, v] : file_vars)
    if (!known.count(k) && k.rfind("ECS_", 0) == 0)
      out.warnings.push_back(k + " (" + options.file_path + ":" + std::to_string(v.second) + "): not used by ecsd");
  return out;
}

}  // namespace ecsd::config
