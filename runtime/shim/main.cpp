// ecsd-shim: sets up one container and stays as its parent.
//
//   ecsd-shim run --root DIR --id ID [--bundle DIR] [--config FILE]
//                 [--log FILE] [--ready-fd N] [--detach] [--wait-start]
//   ecsd-shim exec (--state-dir DIR | --root DIR --id ID) [--env K=V]...
//                 [--cwd DIR] [--user UID[:GID]] -- CMD [ARG...]
//   ecsd-shim monitor ...   (internal: what `run` re-executes itself into)
//
// `run` launches the container with its stdout/stderr on pipes, reports
// "ok <pid>\n" or "error <message>\n" on the ready fd, then re-executes
// itself into the small `monitor` loop (same pid, so it stays the
// container's parent), which writes the json-file log and exit.json.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/exec_in_container.h"
#include "runtime/lifecycle.h"
#include "runtime/monitor.h"
#include "runtime/state_store.h"

using namespace ecsd;
using namespace ecsd::runtime;

namespace {

void write_fd(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

[[noreturn]] void die(std::string_view msg) {
  std::string m = "ecsd-shim: " + std::string(msg) + "\n";
  write_fd(2, m);
  ::_exit(1);
}

int usage() {
  write_fd(2,
           "usage: ecsd-shim run --root DIR --id ID [--bundle DIR] [--config FILE] [--log FILE]\n"
           "                     [--ready-fd N] [--detach] [--wait-start]\n"
           "       ecsd-shim exec (--state-dir DIR | --root DIR --id ID) [--env K=V]... [--cwd DIR]\n"
           "                      [--user UID[:GID]] -- CMD [ARG...]\n");
  return 2;
}

long to_long(const char* s) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || !end || *end) die(std::string("not a number: ") + s);
  return v;
}

void redirect_stdio(const std::string& err_path) {
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::close(null_fd);
  }
  int e = err_path.empty() ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                           : ::open(err_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (e >= 0) {
    ::dup2(e, 2);
    ::close(e);
  }
}

void clear_cloexec(int fd) {
  if (fd < 0) return;
  int fl = ::fcntl(fd, F_GETFD);
  if (fl >= 0) ::fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
}

int cmd_run(int argc, char** argv) {
  std::string root = "/run/ecsd-runtime", id, bundle, config, log;
  int ready_fd = -1;
  bool detach = false, wait_start = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--root") root = next();
    else if (a == "--id") id = next();
    else if (a == "--bundle") bundle = next();
    else if (a == "--config") config = next();
    else if (a == "--log") log = next();
    else if (a == "--ready-fd") ready_fd = static_cast<int>(to_long(next()));
    else if (a == "--detach") detach = true;
    else if (a == "--wait-start") wait_start = true;
    else die("run: unknown option " + a);
  }
  if (id.empty()) die("run: --id is required");
  // Hold nothing of the caller's but stdio and the ready fd: the container
  // process (forked from us) must not pin the caller's sockets or pipes.
  if (ready_fd > 2) {
    ::close_range(3, static_cast<unsigned>(ready_fd) - 1, 0);
    ::close_range(static_cast<unsigned>(ready_fd) + 1, ~0U, 0);
    ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
  } else {
    ::close_range(3, ~0U, 0);
  }
  if (detach) {
    pid_t p = ::fork();
    if (p < 0) die(std::string("fork: ") + std::strerror(errno));
    if (p > 0) {
      int st;
      while (::waitpid(p, &st, 0) < 0 && errno == EINTR) {
      }
      ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    ::setsid();
    p = ::fork();
    if (p < 0) ::_exit(1);
    if (p > 0) ::_exit(0);
  } else {
    // Our own session and process group: signals meant for the caller's
    // group (Ctrl-C, a service manager stopping the agent's group) must
    // not take the container's monitor with them.
    ::setsid();
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  StateStore store(root);
  if (log.empty()) log = store.log_path(id);
  StartOptions opts;
  opts.id = id;
  opts.bundle = bundle;
  opts.config_path = config;
  opts.capture_output = true;
  opts.wait_for_start = wait_start;
  auto started = start_container(store, opts);
  if (!started) {
    if (ready_fd >= 0) write_fd(ready_fd, "error " + started.error().message + "\n");
    else write_fd(2, "ecsd-shim: " + started.error().message + "\n");
    return 1;
  }
  if (detach) redirect_stdio(store.dir(id) + "/shim.log");
  if (ready_fd >= 0) {
    write_fd(ready_fd, "ok " + std::to_string(started->launched.pid) + "\n");
    ::close(ready_fd);
  }
  // Re-exec into the monitor: a fresh, small address space, same pid.
  Launched& l = started->launched;
  int out_fd = started->stdout_r.release();
  int err_fd = started->stderr_r.release();
  int errp = l.error_fd.release();
  for (int fd : {out_fd, err_fd, errp}) clear_cloexec(fd);
  std::vector<std::string> args = {"ecsd-shim",
                                   "monitor",
                                   "--pid", std::to_string(l.pid),
                                   "--stdout-fd", std::to_string(out_fd),
                                   "--stderr-fd", std::to_string(err_fd),
                                   "--error-fd", std::to_string(errp),
                                   "--log", log,
                                   "--exit", store.exit_path(id),
                                   "--oom-file", l.oom_counter_file,
                                   "--oom-before", std::to_string(l.oom_kills_before)};
  std::vector<char*> av;
  for (auto& s : args) av.push_back(s.data());
  av.push_back(nullptr);
  char* envp[] = {nullptr};
  ::execve("/proc/self/exe", av.data(), envp);
  // Could not re-exec: monitor from here.
  MonitorConfig cfg;
  cfg.pid = l.pid;
  cfg.stdout_fd = out_fd;
  cfg.stderr_fd = err_fd;
  cfg.error_fd = errp;
  cfg.log_path = log;
  cfg.exit_path = store.exit_path(id);
  cfg.oom_counter_file = l.oom_counter_file;
  cfg.oom_kills_before = l.oom_kills_before;
  auto rec = run_monitor(cfg);
  if (!rec) die(rec.error().message);
  return rec->exit_code;
}

int cmd_monitor(int argc, char** argv) {
  MonitorConfig cfg;
  for (int i = 0; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--pid") cfg.pid = static_cast<pid_t>(to_long(v));
    else if (a == "--stdout-fd") cfg.stdout_fd = static_cast<int>(to_long(v));
    else if (a == "--stderr-fd") cfg.stderr_fd = static_cast<int>(to_long(v));
    else if (a == "--error-fd") cfg.error_fd = static_cast<int>(to_long(v));
    else if (a == "--log") cfg.log_path = v;
    else if (a == "--exit") cfg.exit_path = v;
    else if (a == "--oom-file") cfg.oom_counter_file = v;
    else if (a == "--oom-before") cfg.oom_kills_before = static_cast<uint64_t>(to_long(v));
  }
  for (int fd : {cfg.stdout_fd, cfg.stderr_fd, cfg.error_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  // Start-up faulted in most of the (static) program text; the loop needs
  // a few pages of it.
  cfg.trim_resident = true;
  auto rec = run_monitor(cfg);
  if (!rec) die(rec.error().message);
  return rec->exit_code;
}

}  // namespace

int shim_exec_main(int argc, char** argv) {
  ExecRequest req;
  std::string root, id;
  int i = 0;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--state-dir") req.state_dir = next();
    else if (a == "--root") root = next();
    else if (a == "--id") id = next();
    else if (a == "--env" || a == "-e") req.env.push_back(next());
    else if (a == "--cwd") req.cwd = next();
    else if (a == "--user" || a == "-u") {
      auto u = parse_user(next());
      if (!u) die(u.error().message);
      req.user = *u;
    } else if (!a.empty() && a[0] == '-') {
      die("exec: unknown option " + a);
    } else {
      break;
    }
  }
  for (; i < argc; ++i) req.args.push_back(argv[i]);
  if (req.state_dir.empty()) {
    if (id.empty()) die("exec: --state-dir or --root and --id are required");
    req.state_dir = StateStore(root.empty() ? "/run/ecsd-runtime" : root).dir(id);
  }
  auto rc = exec_in_container(req);
  if (!rc) die(rc.error().message);
  return *rc;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string_view cmd = argv[1];
  if (cmd == "run") return cmd_run(argc - 2, argv + 2);
  if (cmd == "monitor") return cmd_monitor(argc - 2, argv + 2);
  if (cmd == "exec") return shim_exec_main(argc - 2, argv + 2);
  return usage();
}
