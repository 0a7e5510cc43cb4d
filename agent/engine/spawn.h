// Starting helper processes (ecsd-shim, health-check execs) from the
// multithreaded engine: posix_spawn (vfork+exec, nothing else runs in the
// child), stdio from given fds or /dev/null, one extra fd passed as fd 3.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::engine {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the path
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: same as stdout
  int fd3 = -1;                   // passed as fd 3 when >= 0
  bool new_session = false;       // setsid in the child
};

Result<pid_t> spawn_process(const SpawnRequest& req);
// A pipe with both ends O_CLOEXEC.
Result<std::pair<UniqueFd, UniqueFd>> make_pipe();
// pidfd_open(2); an invalid fd when the process is gone.
UniqueFd open_pidfd(pid_t pid);
// True if pid is alive and its /proc/<pid>/cmdline starts with a path ending in `exe_name`.
bool process_is(pid_t pid, std::string_view exe_name);

}  // namespace ecsd::engine
