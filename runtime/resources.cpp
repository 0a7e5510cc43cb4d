#include "runtime/resources.h"

#include "runtime/path_in_root.h"

namespace ecsd::runtime {

Result<cgroups::Resources> map_resources(const std::optional<Resources>& res) {
  cgroups::Resources out;
  if (!res) return out;
  if (res->memory) {
    const auto& m = *res->memory;
    const std::string w = "linux.resources.memory.";
    if (m.limit) {
      if (*m.limit != -1 && *m.limit < kMinMemoryLimit) {
        if (*m.limit <= 0 && *m.limit != -1)
          return fail_invalid(w + "limit: " + std::to_string(*m.limit) + " is not a valid limit (bytes, or -1)");
        return fail_invalid(w + "limit: " + std::to_string(*m.limit) + " is below the minimum of " +
                            std::to_string(kMinMemoryLimit) + " bytes (6 MiB)");
      }
      out.memory_limit = *m.limit;
    }
    if (m.reservation) {
      if (*m.reservation < -1) return fail_invalid(w + "reservation: " + std::to_string(*m.reservation) + " is negative");
      if (m.limit && *m.limit > 0 && *m.reservation > *m.limit)
        return fail_invalid(w + "reservation: " + std::to_string(*m.reservation) + " is above the limit " +
                            std::to_string(*m.limit));
      out.memory_reservation = *m.reservation;
    }
    if (m.swap) {
      if (*m.swap != -1 && *m.swap <= 0) return fail_invalid(w + "swap: " + std::to_string(*m.swap) + " is not valid");
      if (*m.swap != -1 && (!m.limit || *m.limit == -1))
        return fail_invalid(w + "swap: needs a memory limit (swap is memory+swap)");
      if (*m.swap != -1 && *m.swap < *m.limit)
        return fail_invalid(w + "swap: " + std::to_string(*m.swap) + " is below the memory limit " +
                            std::to_string(*m.limit) + " (swap is memory+swap)");
      out.memory_swap = *m.swap;
    }
    if (m.swappiness) {
      if (*m.swappiness > 100) return fail_invalid(w + "swappiness: " + std::to_string(*m.swappiness) + " is above 100");
      out.memory_swappiness = *m.swappiness;
    }
    if (m.disable_oom_killer && *m.disable_oom_killer)
      return fail_invalid(w + "disableOOMKiller: not supported");
  }
  if (res->cpu) {
    const auto& c = *res->cpu;
    const std::string w = "linux.resources.cpu.";
    if (c.shares) {
      if (*c.shares != 0 && (*c.shares < 2 || *c.shares > 262144))
        return fail_invalid(w + "shares: " + std::to_string(*c.shares) + " is outside 2..262144");
      if (*c.shares != 0) out.cpu_shares = *c.shares;
    }
    if (c.quota) {
      if (*c.quota != -1 && *c.quota < 1000)
        return fail_invalid(w + "quota: " + std::to_string(*c.quota) + " is not valid (at least 1000 microseconds, or -1)");
      out.cpu_quota_us = *c.quota;
    }
    if (c.period) {
      if (*c.period != 0 && (*c.period < 1000 || *c.period > 1000000))
        return fail_invalid(w + "period: " + std::to_string(*c.period) + " is outside 1000..1000000 microseconds");
      if (*c.period != 0) out.cpu_period_us = *c.period;
    }
    if (!c.cpus.empty()) out.cpuset_cpus = c.cpus;
    if (!c.mems.empty()) out.cpuset_mems = c.mems;
  }
  if (res->pids) out.pids_limit = res->pids->limit;
  return out;
}

std::vector<std::pair<std::string, std::string>> device_rule_lines(const std::vector<DeviceCgroupRule>& rules) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rules) {
    std::string type = r.type.empty() ? "a" : r.type;
    std::string line = type + " " + (r.major && *r.major >= 0 ? std::to_string(*r.major) : "*") + ":" +
                       (r.minor && *r.minor >= 0 ? std::to_string(*r.minor) : "*") + " " +
                       (r.access.empty() ? "rwm" : r.access);
    out.emplace_back(r.allow ? "devices.allow" : "devices.deny", std::move(line));
  }
  return out;
}

std::vector<DeviceCgroupRule> device_rules_for(const Spec& spec, const std::vector<Device>& nodes) {
  std::vector<DeviceCgroupRule> out;
  if (spec.linux.resources) out = spec.linux.resources->devices;
  auto allow = [&](std::string type, std::optional<int64_t> major, std::optional<int64_t> minor, std::string access) {
    DeviceCgroupRule r;
    r.allow = true;
    r.type = std::move(type);
    r.major = major;
    r.minor = minor;
    r.access = std::move(access);
    out.push_back(std::move(r));
  };
  allow("c", std::nullopt, std::nullopt, "m");
  allow("b", std::nullopt, std::nullopt, "m");
  for (const auto& d : nodes)
    if (d.type == "c" || d.type == "b" || d.type == "u") allow(d.type == "u" ? "c" : d.type, d.major, d.minor, "rwm");
  allow("c", 136, std::nullopt, "rwm");
  allow("c", 5, 2, "rwm");
  return out;
}

std::string resources_field_for_error(std::string_view message) {
  // Most specific names first (memory.memsw.limit_in_bytes before limit_in_bytes).
  static const char* const kFields[][2] = {
      {"memory.memsw.limit_in_bytes", "memory.swap"}, {"memory.swap.max", "memory.swap"},
      {"memory.soft_limit_in_bytes", "memory.reservation"}, {"memory.low", "memory.reservation"},
      {"memory.limit_in_bytes", "memory.limit"},       {"memory.max", "memory.limit"},
      {"memory.swappiness", "memory.swappiness"},      {"cpu.shares", "cpu.shares"},
      {"cpu.weight", "cpu.shares"},                    {"cpu.cfs_quota_us", "cpu.quota"},
      {"cpu.cfs_period_us", "cpu.period"},             {"cpu.max", "cpu.quota/period"},
      {"cpuset.cpus", "cpu.cpus"},                     {"cpuset.mems", "cpu.mems"},
      {"pids.max", "pids.limit"},                      {"devices.allow", "devices"},
      {"devices.deny", "devices"},
  };
  for (const auto& f : kFields)
    if (message.find(f[0]) != std::string_view::npos) return std::string("linux.resources.") + f[1];
  return "linux.resources";
}

Result<std::string> cgroup_path_for(const Spec& spec, std::string_view id) {
  std::string p = spec.linux.cgroups_path;
  if (p.empty()) return "ecsd/" + std::string(id);
  if (p.find(':') != std::string::npos)
    return fail_invalid("linux.cgroupsPath: systemd form \"" + p + "\" is not supported (use a path)");
  for (const auto& c : path_components(p))
    if (c == ".." || c == ".") return fail_invalid("linux.cgroupsPath: \"" + p + "\" must not contain . or ..");
  std::string clean = clean_path(p);
  if (clean == "/") return fail_invalid("linux.cgroupsPath: must not be the root cgroup");
  return clean.substr(1);
}

}  // namespace ecsd::runtime
