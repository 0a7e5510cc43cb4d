// Container lifecycle over the state store, shared by ecsd-shim and
// ecsd-runtime: start (spec -> state dir -> launch -> state.json), and the
// operations on a recorded container (start the created process, kill,
// delete).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cgroups/cgroup.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/container.h"
#include "runtime/state_store.h"

namespace ecsd::runtime {

struct StartOptions {
  std::string id;
  std::string bundle;       // directory holding config.json (and usually rootfs)
  std::string config_path;  // default <bundle>/config.json
  bool capture_output = false;  // stdout/stderr into pipes (returned) instead of the fds below
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  bool wait_for_start = false;
  bool durable = true;      // fsync state files
  pid_t shim_pid = 0;       // recorded in state.json (0: this process)
};

struct Started {
  Launched launched;
  ContainerState state;
  UniqueFd stdout_r, stderr_r;  // when capture_output
};

// Loads the spec (root.path resolved against the bundle), creates the state
// dir, saves config.json, launches, writes state.json. On error nothing is
// left (no state dir, cgroup, process).
Result<Started> start_container(const StateStore& store, const StartOptions& opts);

// Loads <bundle>/config.json (or config_path) with root.path made absolute.
Result<Spec> load_spec_for(const std::string& bundle, const std::string& config_path);

// Opens the exec fifo of a created container and lets its process exec.
Status start_created(const StateStore& store, const std::string& id);
// Sends sig to the container's process (all=true: to every process of its cgroup).
Status kill_container(const StateStore& store, const std::string& id, int sig, bool all);
// Removes cgroup and state dir; a live container is an error unless force
// (then it is SIGKILLed first).
Status delete_container(const StateStore& store, const std::string& id, bool force);

}  // namespace ecsd::runtime
