// Launching one container from a resolved OCI spec. Call from a
// SINGLE-THREADED process only (the shim or ecsd-runtime): the child after
// clone uses the heap and does all container setup.
//
// Sequence: validate everything (nothing is created on bad input) -> create
// the cgroup and apply limits -> clone with the CLONE_NEW* flags -> parent
// puts the child in the cgroup and writes id maps -> child joins/unshares
// namespaces, mounts, pivots, drops privileges, (waits on the exec fifo),
// loads seccomp, execs. A child failure arrives on a CLOEXEC pipe as
// "E<errno> <message>"; the parent then kills and reaps the child and removes
// the cgroup.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "cgroups/cgroup.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/namespaces.h"
#include "runtime/process_exec.h"
#include "runtime/rlimits.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp_filter.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

struct LaunchRequest {
  std::string id;
  Spec spec;            // root.path absolute (load_bundle_spec resolves it)
  std::string bundle;   // for relative bind-mount sources; may be empty
  // Stdio of the container process; -1 means /dev/null. Not closed by launch.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // chown stdout/stderr (pipes made by the caller) to the container user so
  // /dev/stdout can be reopened inside.
  bool chown_stdio = false;
  // Create/start split: the process waits on this fifo (created by launch)
  // until `start` opens it for reading. Empty: exec at once.
  std::string exec_fifo;
  // Use this hierarchy instead of detecting it (tests, repeated launches).
  std::shared_ptr<const cgroups::Hierarchy> hierarchy;
};

// Prepared and validated, nothing created yet.
struct PreparedLaunch {
  LaunchRequest req;
  std::string cgroup_path;
  cgroups::Resources resources;
  NamespacePlan namespaces;
  RootfsPlan rootfs;
  std::vector<ResolvedRlimit> rlimits;
  CompiledSeccomp seccomp;
  ExecPlan exec;  // exec.seccomp points at `seccomp`: keep this object in place
  std::shared_ptr<const cgroups::Hierarchy> hierarchy;
};

struct Launched {
  pid_t pid = 0;
  std::unique_ptr<cgroups::Cgroup> cgroup;
  // Readable end of the child's error pipe: EOF once the process has exec'd.
  // With an exec fifo, a failure after `start` (exec itself) arrives here.
  UniqueFd error_fd;
  bool waiting_for_start = false;
  // "memory.oom_control" (v1) or "memory.events" (v2) of the cgroup: its
  // oom_kill counter says whether the kernel OOM-killed something.
  std::string oom_counter_file;
  uint64_t oom_kills_before = 0;
};

// Every check that can be made before anything is created: spec validation,
// rootfs, mounts, devices, rlimits, resources, seccomp compilation,
// namespace paths. Errors name the field.
Result<std::unique_ptr<PreparedLaunch>> prepare_launch(const LaunchRequest& req);
// Creates the cgroup and the process. On error nothing is left behind.
Result<Launched> launch(PreparedLaunch& prepared);
// Both in one.
Result<Launched> launch_container(const LaunchRequest& req);

// The cgroup path the request will use (validated).
Result<std::string> container_cgroup_path(const Spec& spec, std::string_view id);
// Reads "oom_kill N" from memory.oom_control / memory.events text.
uint64_t parse_oom_kill_count(std::string_view text);

}  // namespace ecsd::runtime
