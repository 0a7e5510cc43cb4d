// Pure helpers of the cgroups library: parsing, path checks and the plan of
// file writes for a Resources value. No system calls here (except through the
// Reader callback) so all of it is unit-tested without root.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/cgroup.h"
#include "common/error.h"

namespace ecsd::cgroups {

// All cgroup mounts ("cgroup" and "cgroup2" file systems) in a
// /proc/<pid>/mountinfo text, in order. v1 mounts carry their controllers
// (and "name=..." for named hierarchies) from the super options; the cgroup2
// mount has unified = true and no controllers (they live in cgroup.controllers).
Result<std::vector<Mount>> parse_mountinfo(std::string_view text);

// The mounts of `all` whose mount point is `root` or below it; for each v1
// controller only the first mount is kept (later bind mounts are ignored).
std::vector<Mount> mounts_under(const std::vector<Mount>& all, std::string_view root);

// v1 hierarchies a Cgroup lives in, in this order (those that are mounted).
inline constexpr std::string_view kV1Controllers[] = {"cpu", "cpuacct", "cpuset", "memory", "pids", "devices"};
// v2 controllers enabled in the parents' cgroup.subtree_control when available.
inline constexpr std::string_view kV2Controllers[] = {"cpu", "cpuset", "memory", "pids"};

// A relative cgroup path: "a", "a/b/c". Rejects empty, absolute, "." and ".."
// components, empty components ("a//b", trailing "/"), NUL and newlines,
// components longer than 255 bytes.
Status validate_rel_path(std::string_view rel);

// "123\n" -> 123. Rejects anything else.
Result<uint64_t> parse_u64(std::string_view text);
// "max" -> UINT64_MAX, else parse_u64; v1 "unlimited" memory values (at or
// above 0x7FFFFFFFFFFFF000, i.e. PAGE_COUNTER_MAX pages) -> UINT64_MAX too.
Result<uint64_t> parse_limit(std::string_view text);
// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control,
// cpuacct.stat). Lines that do not parse as "<word> <u64>" are skipped.
std::map<std::string, uint64_t> parse_keyed(std::string_view text);
// cgroup.procs: one pid per line.
Result<std::vector<pid_t>> parse_pids(std::string_view text);

// One write of a plan: value into <dir of controller>/<file>.
struct Write {
  std::string controller;
  std::string file;
  std::string value;
  bool operator==(const Write&) const = default;
};

// Reads the current content of <dir of controller>/<file> (planning needs a
// few current values: v1 memory limits for ordering, v2 cpu.max halves).
using Reader = std::function<Result<std::string>(std::string_view controller, std::string_view file)>;

// Checks r (ranges, memory vs swap) without touching anything.
Status validate_resources(const Resources& r, bool v2);
// The writes, in order, that apply r on v1 (hybrid too) or v2.
Result<std::vector<Write>> plan_v1(const Resources& r, const Reader& read);
Result<std::vector<Write>> plan_v2(const Resources& r, const Reader& read);

// Stats from the files' contents; a missing file is passed as nullopt.
struct StatsInputV1 {
  std::optional<std::string> cpuacct_usage, cpuacct_usage_user, cpuacct_usage_sys, cpuacct_stat;
  std::optional<std::string> memory_usage, memory_max_usage, memory_limit, memory_stat, memory_oom_control;
  std::optional<std::string> pids_current, pids_max;
};
struct StatsInputV2 {
  std::optional<std::string> cpu_stat;
  std::optional<std::string> memory_current, memory_peak, memory_max, memory_stat, memory_events;
  std::optional<std::string> pids_current, pids_max;
};
// clk_tck: USER_HZ for cpuacct.stat (used only without cpuacct.usage_user/sys).
Result<Stats> stats_from_v1(const StatsInputV1& in, long clk_tck);
Result<Stats> stats_from_v2(const StatsInputV2& in);

}  // namespace ecsd::cgroups
