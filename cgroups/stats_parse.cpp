// Stats from the contents of the v1 / v2 interface files.
#include "cgroups/internal.h"

namespace ecsd::cgroups {

namespace {

Status take_u64(const std::optional<std::string>& text, const char* file, uint64_t& out) {
  if (!text) return {};
  auto v = parse_u64(*text);
  if (!v) return std::unexpected(v.error().with_context(file));
  out = *v;
  return {};
}

Status take_limit(const std::optional<std::string>& text, const char* file, uint64_t& out) {
  if (!text) return {};
  auto v = parse_limit(*text);
  if (!v) return std::unexpected(v.error().with_context(file));
  out = *v;
  return {};
}

uint64_t key(const std::optional<std::string>& text, const char* k) {
  if (!text) return 0;
  auto m = parse_keyed(*text);
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

Result<Stats> stats_from_v1(const StatsInputV1& in, long clk_tck) {
  Stats s;
  ECSD_TRY(take_u64(in.cpuacct_usage, "cpuacct.usage", s.cpu_usage_ns));
  if (in.cpuacct_usage_user && in.cpuacct_usage_sys) {
    ECSD_TRY(take_u64(in.cpuacct_usage_user, "cpuacct.usage_user", s.cpu_user_ns));
    ECSD_TRY(take_u64(in.cpuacct_usage_sys, "cpuacct.usage_sys", s.cpu_system_ns));
  } else if (in.cpuacct_stat && clk_tck > 0) {
    // USER_HZ ticks.
    uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(clk_tck);
    s.cpu_user_ns = key(in.cpuacct_stat, "user") * ns_per_tick;
    s.cpu_system_ns = key(in.cpuacct_stat, "system") * ns_per_tick;
  }
  ECSD_TRY(take_u64(in.memory_usage, "memory.usage_in_bytes", s.memory_usage));
  ECSD_TRY(take_u64(in.memory_max_usage, "memory.max_usage_in_bytes", s.memory_max_usage));
  ECSD_TRY(take_limit(in.memory_limit, "memory.limit_in_bytes", s.memory_limit));
  s.memory_cache = key(in.memory_stat, "total_cache");
  s.oom_kills = key(in.memory_oom_control, "oom_kill");
  ECSD_TRY(take_u64(in.pids_current, "pids.current", s.pids_current));
  ECSD_TRY(take_limit(in.pids_max, "pids.max", s.pids_limit));
  return s;
}

Result<Stats> stats_from_v2(const StatsInputV2& in) {
  Stats s;
  s.cpu_usage_ns = key(in.cpu_stat, "usage_usec") * 1000;
  s.cpu_user_ns = key(in.cpu_stat, "user_usec") * 1000;
  s.cpu_system_ns = key(in.cpu_stat, "system_usec") * 1000;
  ECSD_TRY(take_u64(in.memory_current, "memory.current", s.memory_usage));
  ECSD_TRY(take_u64(in.memory_peak, "memory.peak", s.memory_max_usage));
  ECSD_TRY(take_limit(in.memory_max, "memory.max", s.memory_limit));
  s.memory_cache = key(in.memory_stat, "file");
  s.oom_kills = key(in.memory_events, "oom_kill");
  ECSD_TRY(take_u64(in.pids_current, "pids.current", s.pids_current));
  ECSD_TRY(take_limit(in.pids_max, "pids.max", s.pids_limit));
  return s;
}

}  // namespace ecsd::cgroups
