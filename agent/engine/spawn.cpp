#include "agent/engine/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_util.h"

extern char** environ;

namespace ecsd::engine {

Result<pid_t> spawn_process(const SpawnRequest& req) {
  if (req.argv.empty()) return fail_invalid("spawn: empty argv");
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (req.new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attr, flags);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (req.stdout_fd >= 0) posix_spawn_file_actions_adddup2(&fa, req.stdout_fd, 1);
  else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (req.stderr_fd >= 0) posix_spawn_file_actions_adddup2(&fa, req.stderr_fd, 2);
  else posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (req.fd3 >= 0) posix_spawn_file_actions_adddup2(&fa, req.fd3, 3);
  std::vector<char*> av;
  for (const auto& a : req.argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, req.argv[0].c_str(), &fa, &attr, av.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail_sys(rc, "spawn", req.argv[0]);
  return pid;
}

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

UniqueFd open_pidfd(pid_t pid) {
  if (pid <= 0) return UniqueFd();
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

bool process_is(pid_t pid, std::string_view exe_name) {
  if (pid <= 0) return false;
  auto cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmd) return false;
  std::string_view a0(cmd->c_str());
  // The shim re-executes itself as "ecsd-shim monitor ...".
  return a0.size() >= exe_name.size() && a0.substr(a0.size() - exe_name.size()) == exe_name;
}

}  // namespace ecsd::engine
