#include "runtime/process_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/capabilities.h"
#include "runtime/path_in_root.h"

namespace ecsd::runtime {
namespace {

bool is_executable_file(const std::string& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// After setresuid with KEEPCAPS, effective is empty; raise it to permitted
// so apply_capabilities can still drop the bounding set and call capset.
Status raise_effective_to_permitted() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return fail_sys(errno, "capget");
  data[0].effective = data[0].permitted;
  data[1].effective = data[1].permitted;
  if (::syscall(SYS_capset, &hdr, data) != 0) return fail_sys(errno, "capset");
  return {};
}

}  // namespace

Status switch_user_and_caps(const User& user, bool set_groups, const std::optional<Capabilities>& caps) {
  if (set_groups) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0) return fail_sys(errno, "setgroups", "process.user.additionalGids");
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0)
    return fail_sys(errno, "setresgid " + std::to_string(user.gid), "process.user.gid");
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail_sys(errno, "prctl(PR_SET_KEEPCAPS)");
  if (::setresuid(user.uid, user.uid, user.uid) != 0)
    return fail_sys(errno, "setresuid " + std::to_string(user.uid), "process.user.uid");
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail_sys(errno, "prctl(PR_SET_KEEPCAPS)");
  if (user.uid != 0) ECSD_TRY(raise_effective_to_permitted());
  auto st = apply_capabilities(caps);
  if (!st) return fail(st.error().with_context("process.capabilities"));
  return {};
}

Error exec_process(const ExecPlan& plan) {
  ::umask(plan.umask ? static_cast<mode_t>(*plan.umask) : 0022);
  bool seccomp = plan.seccomp && !plan.seccomp->empty();
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while
  // we still have it (as runc does); the setup calls left are allowed by
  // any sane profile.
  if (seccomp && !plan.no_new_privileges) {
    auto st = load_seccomp(*plan.seccomp);
    if (!st) return st.error().with_context("linux.seccomp");
  }
  if (auto st = switch_user_and_caps(plan.user, plan.set_groups, plan.caps); !st) return st.error();
  if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::sys(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  if (::chdir(plan.cwd.c_str()) != 0) return Error::sys(errno, "chdir", plan.cwd).context("process.cwd");
  auto exe = resolve_executable(plan.args.empty() ? std::string_view() : std::string_view(plan.args[0]), plan.env,
                                is_executable_file);
  if (!exe) return exe.error();
  std::vector<char*> argv;
  for (const auto& a : plan.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : plan.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // Signals: default handlers, nothing blocked.
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    ::signal(s, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (plan.parent_death_signal) {
    if (::prctl(PR_SET_PDEATHSIG, plan.parent_death_signal, 0, 0, 0) != 0)
      return Error::sys(errno, "prctl(PR_SET_PDEATHSIG)");
    if (plan.parent_alive_fd >= 0) {
      pollfd pf{plan.parent_alive_fd, 0, 0};
      if (::poll(&pf, 1, 0) == 1 && (pf.revents & (POLLERR | POLLHUP))) ::_exit(128 + plan.parent_death_signal);
    }
  }
  // Everything above stdio closes at exec (CVE-2024-21626).
  if (::close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0) return Error::sys(errno, "close_range");
  if (plan.fifo_fd >= 0) {
    if (plan.ready_fd >= 0) {
      ssize_t n;
      do n = ::write(plan.ready_fd, "R", 1);
      while (n < 0 && errno == EINTR);
    }
    // Blocks until `start` opens the fifo for reading.
    int w = ::open(fd_path(plan.fifo_fd).c_str(), O_WRONLY | O_CLOEXEC);
    if (w < 0) return Error::sys(errno, "open exec fifo");
    ssize_t n;
    do n = ::write(w, "0", 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) return Error::sys(errno, "write exec fifo");
    ::close(w);
    ::close(plan.fifo_fd);
  }
  if (seccomp && plan.no_new_privileges) {
    auto st = load_seccomp(*plan.seccomp);
    if (!st) return st.error().with_context("linux.seccomp");
  }
  ::execve(exe->c_str(), argv.data(), envp.data());
  return Error::sys(errno, "exec", *exe).context("process.args");
}

void report_child_error(int fd, const Error& e) {
  std::string msg = "E" + std::to_string(e.code) + " " + e.message;
  if (msg.size() > 4000) msg.resize(4000);
  ssize_t n;
  do n = ::write(fd, msg.data(), msg.size());
  while (n < 0 && errno == EINTR);
}

Error parse_child_error(std::string_view msg) {
  Error e;
  if (!msg.empty() && msg[0] == 'E') msg.remove_prefix(1);
  size_t sp = msg.find(' ');
  int code = 0;
  for (size_t i = 0; i < sp && i < msg.size(); ++i) {
    if (msg[i] < '0' || msg[i] > '9') break;
    code = code * 10 + (msg[i] - '0');
  }
  e.code = code;
  e.message = sp == std::string_view::npos ? std::string(msg) : std::string(msg.substr(sp + 1));
  return e;
}

}  // namespace ecsd::runtime
