// One interface over cgroup v1, hybrid (v1 controllers + a v2 mount) and v2.
// Knows nothing of containers or ECS: paths, limits, processes, stats, events.
//
// CONTRACT shared by the runtime: extend, do not break.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::cgroups {

enum class Layout { kV1, kHybrid, kV2 };
std::string_view to_string(Layout layout);

// One mounted hierarchy: a v1 hierarchy with its controllers ("cpu","cpuacct"),
// a named v1 hierarchy ("name=systemd"), or the v2 unified hierarchy.
struct Mount {
  std::string dir;                       // e.g. /sys/fs/cgroup/memory
  std::vector<std::string> controllers;  // v1: as in mount options; v2: cgroup.controllers
  bool unified = false;                  // true for the cgroup2 mount
};

// cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000), the quadratic
// formula used by crun >= 1.23 and runc >= 1.3.2 (1024 -> 100, 2 -> 1, 262144 -> 10000).
uint64_t shares_to_weight(uint64_t shares);

// Which hierarchies exist and which controllers each one holds.
class Hierarchy {
 public:
  // Detects the layout of the host under `root` (statfs: CGROUP2_SUPER_MAGIC
  // -> v2; tmpfs with a cgroup2 "unified" mount -> hybrid; else v1) and reads
  // /proc/self/mountinfo for the mount of each controller.
  static Result<Hierarchy> detect(const std::string& root = "/sys/fs/cgroup");
  // Built from explicit mounts: for tests over fake trees, and for detect().
  static Hierarchy from_mounts(Layout layout, std::vector<Mount> mounts);

  Layout layout() const { return layout_; }
  const std::vector<Mount>& mounts() const { return mounts_; }
  // The mount holding a controller ("memory", "cpu", "pids", ...) or nullptr.
  // On v2 every enabled controller maps to the unified mount.
  const Mount* mount_for(std::string_view controller) const;
  // The v2 unified mount, if any (v2, or hybrid's /sys/fs/cgroup/unified).
  const Mount* unified() const;

 private:
  Layout layout_ = Layout::kV1;
  std::vector<Mount> mounts_;
};

// Limits as a container asks for them (OCI linux.resources units). Unset
// fields are left as they are.
struct Resources {
  std::optional<uint64_t> cpu_shares;       // v1 cpu.shares; v2 cpu.weight = shares_to_weight
  std::optional<int64_t> cpu_quota_us;      // -1: unlimited; v1 cpu.cfs_quota_us; v2 cpu.max
  std::optional<uint64_t> cpu_period_us;    // v1 cpu.cfs_period_us; v2 cpu.max
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<int64_t> memory_limit;      // bytes, -1: unlimited; v1 memory.limit_in_bytes; v2 memory.max
  std::optional<int64_t> memory_reservation;// soft: v1 memory.soft_limit_in_bytes; v2 memory.low
  std::optional<int64_t> memory_swap;      // memory+swap (Docker/OCI); v1 memory.memsw.limit_in_bytes; v2 memory.swap.max = swap - limit
  std::optional<uint64_t> memory_swappiness;// v1 only
  std::optional<int64_t> pids_limit;        // <= 0: unlimited ("max")
};

struct Stats {
  uint64_t cpu_usage_ns = 0;     // total CPU time
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t memory_usage = 0;     // bytes
  uint64_t memory_max_usage = 0; // peak bytes (v2: memory.peak when the kernel has it)
  uint64_t memory_limit = 0;     // bytes; UINT64_MAX when unlimited
  uint64_t memory_cache = 0;     // page cache bytes (v1 total_cache; v2 file)
  uint64_t pids_current = 0;
  uint64_t pids_limit = 0;       // UINT64_MAX when unlimited
  uint64_t oom_kills = 0;        // v1: memory.oom_control oom_kill; v2: memory.events oom_kill
};

// A cgroup at the same relative path (e.g. "ecsd/task-1/web") in every
// hierarchy that holds a controller we manage (cpu, cpuacct, cpuset, memory,
// pids on v1; the unified tree on v2).
class Cgroup {
 public:
  // Creates the cgroup (and missing parents) in every hierarchy; on v2 enables
  // the needed controllers in the parents' cgroup.subtree_control. Existing
  // cgroups are reused. On failure nothing it created is left behind.
  static Result<Cgroup> create(const Hierarchy& h, std::string rel_path);
  // Opens an existing cgroup (error if it does not exist).
  static Result<Cgroup> open(const Hierarchy& h, std::string rel_path);

  const std::string& path() const { return rel_path_; }
  // Directory of this cgroup in the hierarchy of `controller`, or empty.
  std::string dir_for(std::string_view controller) const;
  // Every directory of this cgroup, one per hierarchy.
  std::vector<std::string> dirs() const;
  const Hierarchy& hierarchy() const { return hierarchy_; }

  // Writes the limits. Errors name the file and the value.
  Status apply(const Resources& r);
  Status add_process(pid_t pid);
  Result<std::vector<pid_t>> processes() const;
  Result<Stats> stats() const;
  // Sends sig to every process (v2: cgroup.kill for SIGKILL when present).
  Status kill_all(int sig);
  // rmdir in every hierarchy (children first), retrying briefly while the
  // kernel still reports EBUSY for exiting tasks. A missing cgroup is fine.
  Status remove();

 private:
  Cgroup(Hierarchy h, std::string rel) : hierarchy_(std::move(h)), rel_path_(std::move(rel)) {}
  Hierarchy hierarchy_;
  std::string rel_path_;
};

// Notifies of OOM kills in one cgroup.
// v1: an eventfd registered via cgroup.event_control on memory.oom_control.
// v2: inotify on memory.events; the oom_kill counter says what happened.
class OomWatcher {
 public:
  static Result<OomWatcher> watch(const Cgroup& cg);
  // Becomes readable when something may have happened; poll it.
  int fd() const { return fd_.get(); }
  // Drains the fd and returns how many OOM kills happened since the last call.
  Result<uint64_t> consume();

 private:
  OomWatcher() = default;
  UniqueFd fd_;
  UniqueFd target_fd_;  // v1: memory.oom_control kept open while registered
  std::string cgroup_dir_;
  bool v2_ = false;
  uint64_t last_count_ = 0;
};

}  // namespace ecsd::cgroups
