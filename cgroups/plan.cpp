// Resources -> ordered list of file writes, for v1 (and hybrid) and v2.
#include <string>

#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {

// 0 means "leave as is" for these fields, as runc and Docker use it.
bool is_set(const std::optional<int64_t>& v) { return v && *v != 0; }
bool is_set(const std::optional<uint64_t>& v) { return v && *v != 0; }

std::string num(int64_t v) { return std::to_string(v); }

// -1 (unlimited) as the largest value, for comparisons.
uint64_t as_limit(int64_t v) { return v == -1 ? UINT64_MAX : static_cast<uint64_t>(v); }

std::string limit_text(uint64_t v) { return v == UINT64_MAX ? "unlimited" : std::to_string(v); }

Status check_memory_value(const char* name, const std::optional<int64_t>& v) {
  if (v && *v < -1)
    return fail_invalid(std::string(name) + " " + std::to_string(*v) + " is invalid: use a positive byte count or -1 for unlimited");
  return {};
}

}  // namespace

Status validate_resources(const Resources& r, bool v2) {
  (void)v2;
  if (r.cpu_quota_us && *r.cpu_quota_us != 0 && *r.cpu_quota_us != -1 && *r.cpu_quota_us < 1000)
    return fail_invalid("cpu quota " + num(*r.cpu_quota_us) + "us is invalid: use -1 (unlimited) or at least 1000us");
  if (is_set(r.cpu_period_us) && (*r.cpu_period_us < 1000 || *r.cpu_period_us > 1000000))
    return fail_invalid("cpu period " + std::to_string(*r.cpu_period_us) + "us is invalid: it must be 1000..1000000us");
  ECSD_TRY(check_memory_value("memory limit", r.memory_limit));
  ECSD_TRY(check_memory_value("memory reservation", r.memory_reservation));
  ECSD_TRY(check_memory_value("memory+swap limit", r.memory_swap));
  if (is_set(r.memory_swap) && *r.memory_swap != -1 && is_set(r.memory_limit)) {
    if (*r.memory_limit == -1)
      return fail_invalid("memory+swap limit " + num(*r.memory_swap) + " needs a memory limit, not unlimited");
    if (*r.memory_swap < *r.memory_limit)
      return fail_invalid("memory+swap limit " + num(*r.memory_swap) + " is below the memory limit " +
                          num(*r.memory_limit));
  }
  if (r.memory_swappiness && *r.memory_swappiness > 100)
    return fail_invalid("memory swappiness " + std::to_string(*r.memory_swappiness) + " is invalid: it must be 0..100");
  return {};
}

Result<std::vector<Write>> plan_v1(const Resources& r, const Reader& read) {
  ECSD_TRY(validate_resources(r, false));
  std::vector<Write> w;
  if (is_set(r.cpu_shares)) w.push_back({"cpu", "cpu.shares", std::to_string(*r.cpu_shares)});
  if (is_set(r.cpu_period_us)) w.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*r.cpu_period_us)});
  if (is_set(r.cpu_quota_us)) w.push_back({"cpu", "cpu.cfs_quota_us", num(*r.cpu_quota_us)});
  if (r.cpuset_cpus) w.push_back({"cpuset", "cpuset.cpus", *r.cpuset_cpus});
  if (r.cpuset_mems) w.push_back({"cpuset", "cpuset.mems", *r.cpuset_mems});

  if (is_set(r.memory_reservation))
    w.push_back({"memory", "memory.soft_limit_in_bytes", num(*r.memory_reservation)});

  // The kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at
  // every step, so the order of the two writes depends on the current values.
  const bool limit = is_set(r.memory_limit);
  const bool swap = is_set(r.memory_swap);
  if (limit || swap) {
    std::optional<uint64_t> cur_memsw;
    auto memsw_text = read("memory", "memory.memsw.limit_in_bytes");
    if (memsw_text) {
      auto v = parse_limit(*memsw_text);
      if (!v) return std::unexpected(v.error().with_context("reading memory.memsw.limit_in_bytes"));
      cur_memsw = *v;
    } else if (memsw_text.error().code != ENOENT) {
      return std::unexpected(memsw_text.error());
    }
    Write lw{"memory", "memory.limit_in_bytes", limit ? num(*r.memory_limit) : ""};
    if (swap && !cur_memsw) {
      if (*r.memory_swap != -1)
        return fail_invalid("memory+swap limit " + num(*r.memory_swap) +
                            " cannot be enforced: the kernel has no swap accounting (memory.memsw.* is missing)");
      if (limit) w.push_back(lw);
    } else if (swap) {
      uint64_t new_memsw = as_limit(*r.memory_swap);
      Write sw{"memory", "memory.memsw.limit_in_bytes", num(*r.memory_swap)};
      if (!limit) {
        auto cur_text = read("memory", "memory.limit_in_bytes");
        if (!cur_text) return std::unexpected(cur_text.error());
        auto cur = parse_limit(*cur_text);
        if (!cur) return std::unexpected(cur.error().with_context("reading memory.limit_in_bytes"));
        if (new_memsw < *cur)
          return fail_invalid("memory+swap limit " + num(*r.memory_swap) + " is below the current memory limit " +
                              limit_text(*cur));
        w.push_back(sw);
      } else if (new_memsw >= *cur_memsw) {
        w.push_back(sw);  // raise the ceiling first
        w.push_back(lw);
      } else {
        w.push_back(lw);  // lower the limit first
        w.push_back(sw);
      }
    } else {
      uint64_t new_limit = as_limit(*r.memory_limit);
      if (cur_memsw && new_limit > *cur_memsw)
        return fail_invalid("memory limit " + limit_text(new_limit) + " is above the current memory+swap limit " +
                            limit_text(*cur_memsw) + "; set the memory+swap limit too");
      w.push_back(lw);
    }
  }
  if (r.memory_swappiness) w.push_back({"memory", "memory.swappiness", std::to_string(*r.memory_swappiness)});
  if (r.pids_limit) w.push_back({"pids", "pids.max", *r.pids_limit <= 0 ? "max" : num(*r.pids_limit)});
  return w;
}

Result<std::vector<Write>> plan_v2(const Resources& r, const Reader& read) {
  ECSD_TRY(validate_resources(r, true));
  std::vector<Write> w;
  if (is_set(r.cpu_shares)) w.push_back({"cpu", "cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares))});
  if (is_set(r.cpu_quota_us) || is_set(r.cpu_period_us)) {
    std::string quota, period;
    if (is_set(r.cpu_quota_us)) quota = *r.cpu_quota_us == -1 ? "max" : num(*r.cpu_quota_us);
    if (is_set(r.cpu_period_us)) period = std::to_string(*r.cpu_period_us);
    if (quota.empty() || period.empty()) {
      auto cur = read("cpu", "cpu.max");  // "max 100000"
      if (!cur) return std::unexpected(cur.error());
      std::string_view t = trim(*cur);
      size_t sp = t.find(' ');
      if (sp == std::string_view::npos) return fail_invalid("unexpected cpu.max content '" + std::string(t) + "'");
      if (quota.empty()) quota = std::string(t.substr(0, sp));
      if (period.empty()) period = std::string(trim(t.substr(sp + 1)));
    }
    w.push_back({"cpu", "cpu.max", quota + " " + period});
  }
  if (r.cpuset_cpus) w.push_back({"cpuset", "cpuset.cpus", *r.cpuset_cpus});
  if (r.cpuset_mems) w.push_back({"cpuset", "cpuset.mems", *r.cpuset_mems});
  if (is_set(r.memory_reservation))
    w.push_back({"memory", "memory.low", *r.memory_reservation == -1 ? "max" : num(*r.memory_reservation)});
  if (is_set(r.memory_limit))
    w.push_back({"memory", "memory.max", *r.memory_limit == -1 ? "max" : num(*r.memory_limit)});
  if (is_set(r.memory_swap)) {
    // v2 limits swap alone: memory.swap.max = (memory+swap) - memory.
    if (*r.memory_swap == -1) {
      w.push_back({"memory", "memory.swap.max", "max"});
    } else {
      uint64_t limit;
      if (is_set(r.memory_limit)) {
        limit = static_cast<uint64_t>(*r.memory_limit);  // validated: not -1 here
      } else {
        auto cur = read("memory", "memory.max");
        if (!cur) return std::unexpected(cur.error());
        auto v = parse_limit(*cur);
        if (!v) return std::unexpected(v.error().with_context("reading memory.max"));
        if (*v == UINT64_MAX)
          return fail_invalid("memory+swap limit " + num(*r.memory_swap) + " needs a memory limit, not unlimited");
        limit = *v;
      }
      if (static_cast<uint64_t>(*r.memory_swap) < limit)
        return fail_invalid("memory+swap limit " + num(*r.memory_swap) + " is below the memory limit " +
                            std::to_string(limit));
      w.push_back({"memory", "memory.swap.max", std::to_string(static_cast<uint64_t>(*r.memory_swap) - limit)});
    }
  }
  // memory.swappiness has no v2 equivalent: ignored (as crun does).
  if (r.pids_limit) w.push_back({"pids", "pids.max", *r.pids_limit <= 0 ? "max" : num(*r.pids_limit)});
  return w;
}

}  // namespace ecsd::cgroups
