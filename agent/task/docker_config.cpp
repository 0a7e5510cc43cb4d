#include "agent/task/docker_config.h"

#include <cctype>

#include "agent/task/json_fields.h"
#include "agent/task/parse_common.h"

namespace ecsd::task {

namespace {

constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kSecondNs = 1000 * 1000 * 1000;

void note_rest(const Fields& f, std::vector<std::string>* notes) {
  ParseContext ctx{false, notes};
  (void)finish_fields(f, ctx);
}

// Nanoseconds to whole seconds; 0 (Docker's "unset") keeps the ECS default.
Status ns_to_seconds(Fields& f, std::string_view key, int64_t& out_s) {
  int64_t ns = 0;
  ECSD_TRY(f.integer(key, ns));
  if (ns < 0) return fail_invalid(f.path_of(key) + ": must not be negative");
  if (ns > 0) out_s = ns / kSecondNs;
  return {};
}

}  // namespace

Result<int64_t> parse_docker_size(std::string_view s) {
  if (s.empty()) return fail_invalid("empty size");
  size_t i = 0;
  int64_t n = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (n > (INT64_MAX - 9) / 10) return fail_invalid("size \"" + std::string(s) + "\" is too large");
    n = n * 10 + (s[i] - '0');
    ++i;
  }
  if (i == 0) return fail_invalid("size \"" + std::string(s) + "\" is not a number");
  std::string unit;
  for (; i < s.size(); ++i) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  int64_t mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb") mult = 1024;
  else if (unit == "m" || unit == "mb") mult = kMiB;
  else if (unit == "g" || unit == "gb") mult = kMiB * 1024;
  else return fail_invalid("size \"" + std::string(s) + "\" has an unknown unit \"" + unit + "\"");
  if (n > INT64_MAX / mult) return fail_invalid("size \"" + std::string(s) + "\" is too large");
  return n * mult;
}

Status apply_docker_config(std::string_view config_json, std::string_view path_view, ContainerModel& c,
                           std::vector<std::string>* notes) {
  const std::string path(path_view);
  if (config_json.empty()) return {};
  auto j = parse_json_text(config_json, path);
  if (!j) return std::unexpected(j.error());
  auto fr = Fields::of(*j, path);
  if (!fr) return std::unexpected(fr.error());
  Fields& f = *fr;

  ECSD_TRY(f.str("Hostname", c.hostname));
  ECSD_TRY(f.str("User", c.user));
  ECSD_TRY(f.str("WorkingDir", c.working_directory));
  ECSD_TRY(f.str_map("Labels", c.docker_labels));
  if (f.has("Entrypoint")) ECSD_TRY(f.str_list("Entrypoint", c.entry_point));
  if (f.has("Cmd")) ECSD_TRY(f.str_list("Cmd", c.command));

  // Env: added under the typed environment, which wins for equal names.
  std::vector<std::string> env;
  ECSD_TRY(f.str_list("Env", env));
  if (!env.empty()) {
    std::vector<KeyValue> merged;
    for (const auto& e : env) {
      auto eq = e.find('=');
      if (eq == std::string::npos || eq == 0) {
        if (notes) notes->push_back(path + ".Env: \"" + e + "\" has no NAME=value, ignored");
        continue;
      }
      merged.push_back({e.substr(0, eq), e.substr(eq + 1)});
    }
    for (const auto& kv : c.environment) merged.push_back(kv);
    c.environment = normalize_environment(std::move(merged));
  }

  ECSD_TRY(f.object("Healthcheck", [&](Fields& h) -> Status {
    std::vector<std::string> test;
    ECSD_TRY(h.str_list("Test", test));
    if (test.empty() || test[0] == "NONE") {
      c.health_check.reset();
      note_rest(h, notes);
      return {};
    }
    HealthCheck hc;
    hc.command = std::move(test);
    ECSD_TRY(ns_to_seconds(h, "Interval", hc.interval_s));
    ECSD_TRY(ns_to_seconds(h, "Timeout", hc.timeout_s));
    ECSD_TRY(ns_to_seconds(h, "StartPeriod", hc.start_period_s));
    int64_t retries = 0;
    ECSD_TRY(h.integer("Retries", retries));
    if (retries > 0) hc.retries = retries;
    h.ignore("StartInterval");
    note_rest(h, notes);
    c.health_check = std::move(hc);
    return {};
  }));

  for (const char* k : {"Image", "Domainname", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "AttachStdin",
                        "AttachStdout", "AttachStderr", "StopSignal", "StopTimeout", "Volumes", "ArgsEscaped",
                        "NetworkDisabled", "MacAddress", "OnBuild", "Shell"})
    f.ignore(k);
  note_rest(f, notes);
  return {};
}

Status apply_docker_host_config(std::string_view host_config_json, std::string_view path_view, ContainerModel& c,
                                std::vector<std::string>* notes) {
  const std::string path(path_view);
  if (host_config_json.empty()) return {};
  auto j = parse_json_text(host_config_json, path);
  if (!j) return std::unexpected(j.error());
  auto fr = Fields::of(*j, path);
  if (!fr) return std::unexpected(fr.error());
  Fields& f = *fr;

  auto bytes_to_mib = [&](std::string_view key, std::optional<int64_t>& out) -> Status {
    std::optional<int64_t> bytes;
    ECSD_TRY(f.integer(key, bytes));
    if (!bytes || *bytes == 0) return {};
    if (*bytes < 0) return fail_invalid(f.path_of(key) + ": must not be negative");
    out = *bytes / kMiB;  // ECS sends whole MiB; anything finer is rounded down
    return {};
  };
  ECSD_TRY(bytes_to_mib("Memory", c.memory_mib));
  ECSD_TRY(bytes_to_mib("MemoryReservation", c.memory_reservation_mib));
  ECSD_TRY(bytes_to_mib("ShmSize", c.linux_parameters.shared_memory_size_mib));

  std::optional<int64_t> swap;
  ECSD_TRY(f.integer("MemorySwap", swap));
  if (swap && *swap > 0) {
    int64_t mem = c.memory_mib.value_or(0) * kMiB;
    if (*swap < mem) return fail_invalid(f.path_of("MemorySwap") + ": smaller than Memory");
    c.linux_parameters.max_swap_mib = (*swap - mem) / kMiB;
  } else if (swap && *swap == -1 && notes) {
    notes->push_back(f.path_of("MemorySwap") + ": -1 (unlimited swap) not supported, ignored");
  }
  std::optional<int64_t> swappiness;
  ECSD_TRY(f.integer("MemorySwappiness", swappiness));
  if (swappiness && *swappiness >= 0) c.linux_parameters.swappiness = swappiness;

  ECSD_TRY(f.boolean("Privileged", c.privileged));
  ECSD_TRY(f.boolean("ReadonlyRootfs", c.readonly_root_filesystem));
  ECSD_TRY(f.str_list("Dns", c.dns_servers));
  ECSD_TRY(f.str_list("DnsSearch", c.dns_search_domains));
  std::vector<std::string> hosts;
  ECSD_TRY(f.str_list("ExtraHosts", hosts));
  for (size_t i = 0; i < hosts.size(); ++i) {
    auto colon = hosts[i].find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == hosts[i].size())
      return fail_invalid(index_path(f.path_of("ExtraHosts"), i) + ": expected \"host:ip\", got \"" + hosts[i] + "\"");
    c.extra_hosts.push_back({hosts[i].substr(0, colon), hosts[i].substr(colon + 1)});
  }
  ECSD_TRY(f.str_list("CapAdd", c.linux_parameters.cap_add));
  ECSD_TRY(f.str_list("CapDrop", c.linux_parameters.cap_drop));
  ECSD_TRY(f.boolean("Init", c.linux_parameters.init_process_enabled));

  ECSD_TRY(f.objects("Ulimits", [&](Fields& u) -> Status {
    Ulimit ul;
    ECSD_TRY(u.str("Name", ul.name));
    ECSD_TRY(u.integer("Soft", ul.soft));
    ECSD_TRY(u.integer("Hard", ul.hard));
    note_rest(u, notes);
    c.ulimits.push_back(std::move(ul));
    return {};
  }));
  ECSD_TRY(f.object("LogConfig", [&](Fields& l) -> Status {
    std::string type;
    ECSD_TRY(l.str("Type", type));
    if (!type.empty()) c.log_configuration.driver = type;
    ECSD_TRY(l.str_map("Config", c.log_configuration.options));
    note_rest(l, notes);
    return {};
  }));
  ECSD_TRY(f.objects("Devices", [&](Fields& d) -> Status {
    DeviceMapping dev;
    ECSD_TRY(d.str("PathOnHost", dev.host_path));
    ECSD_TRY(d.str("PathInContainer", dev.container_path));
    std::string perms;
    ECSD_TRY(d.str("CgroupPermissions", perms));
    for (char ch : perms) {
      if (ch == 'r') dev.permissions.push_back("read");
      else if (ch == 'w') dev.permissions.push_back("write");
      else if (ch == 'm') dev.permissions.push_back("mknod");
      else return fail_invalid(d.path_of("CgroupPermissions") + ": unknown permission '" + std::string(1, ch) + "'");
    }
    note_rest(d, notes);
    c.linux_parameters.devices.push_back(std::move(dev));
    return {};
  }));
  std::map<std::string, std::string> tmpfs;
  ECSD_TRY(f.str_map("Tmpfs", tmpfs));
  for (const auto& [dest, opts] : tmpfs) {
    TmpfsMount m;
    m.container_path = dest;
    size_t pos = 0;
    while (pos <= opts.size()) {
      size_t comma = opts.find(',', pos);
      if (comma == std::string::npos) comma = opts.size();
      std::string opt = opts.substr(pos, comma - pos);
      pos = comma + 1;
      if (opt.empty()) continue;
      if (opt.rfind("size=", 0) == 0) {
        auto b = parse_docker_size(opt.substr(5));
        if (!b) return fail_invalid(join_path(f.path_of("Tmpfs"), dest) + ": " + b.error().message);
        m.size_mib = (*b + kMiB - 1) / kMiB;
      } else {
        m.mount_options.push_back(opt);
      }
    }
    c.linux_parameters.tmpfs.push_back(std::move(m));
  }

  // Carried by typed ACS fields (task networkMode, cpu, mountPoints,
  // volumesFrom, portMappings, links): read and dropped without a note.
  for (const char* k : {"NetworkMode", "CpuShares", "Binds", "VolumesFrom", "PortBindings", "Links"}) f.get(k);
  for (const char* k : {"SecurityOpt", "Sysctls", "PidMode", "IpcMode", "CgroupParent", "CpuPeriod", "CpuQuota",
                        "OomKillDisable", "RestartPolicy", "AutoRemove", "PublishAllPorts", "GroupAdd",
                        "UsernsMode", "Runtime", "CpusetCpus", "CpusetMems"})
    f.ignore(k);
  note_rest(f, notes);
  return {};
}

}  // namespace ecsd::task
