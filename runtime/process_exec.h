// The last steps of becoming the container process, shared by the container's
// first process and `exec`: user and groups, capabilities, no_new_privs, fd
// hygiene, cwd, signals, executable lookup with the container's PATH, the
// optional wait on the exec fifo, seccomp, execve. Runs in a single-threaded
// child after fork/clone; uses the heap only for small strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/seccomp_filter.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

struct ExecPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  User user;
  bool set_groups = true;  // false when setgroups(2) is denied (user ns)
  std::optional<Capabilities> caps;
  bool no_new_privileges = false;
  const CompiledSeccomp* seccomp = nullptr;  // may be null or empty
  std::optional<uint32_t> umask;             // default 0022
  int ready_fd = -1;  // when >= 0 with fifo_fd: write "R" here before waiting on the fifo
  int fifo_fd = -1;   // O_PATH fd of the exec fifo, or -1
  // Signal the process gets when the thread that forked it dies (set after
  // the user switch, which would clear it); 0: none. For exec: a health
  // check killed on timeout must not leave its command behind.
  int parent_death_signal = 0;
  // With parent_death_signal: the write end of a pipe whose read end only
  // the parent holds. Checked once the signal is armed, to close the window
  // in which the parent died before that.
  int parent_alive_fd = -1;
};

// PATH lookup as execvp does it, with the container's PATH (from env, or the
// default "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").
// `is_exec(path)` says whether a candidate is an executable regular file.
template <typename IsExec>
Result<std::string> resolve_executable(std::string_view arg0, const std::vector<std::string>& env, IsExec&& is_exec) {
  if (arg0.empty()) return fail_invalid("process.args[0] is empty");
  if (arg0.find('/') != std::string_view::npos) {
    if (!is_exec(std::string(arg0)))
      return fail_invalid("exec: \"" + std::string(arg0) + "\": no such executable file");
    return std::string(arg0);
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + std::string(arg0);
    if (is_exec(cand)) return cand;
    i = j + 1;
  }
  return fail_invalid("exec: \"" + std::string(arg0) + "\": executable file not found in $PATH");
}

// Sets user and groups keeping capabilities across the uid change, then
// applies the spec's capability sets.
Status switch_user_and_caps(const User& user, bool set_groups, const std::optional<Capabilities>& caps);

// Does everything and execve()s; returns only on failure.
Error exec_process(const ExecPlan& plan);

// Child error channel: "E<errno> <message>" in one write (<= PIPE_BUF).
void report_child_error(int fd, const Error& e);
// Parses a message written by report_child_error.
Error parse_child_error(std::string_view msg);

}  // namespace ecsd::runtime
