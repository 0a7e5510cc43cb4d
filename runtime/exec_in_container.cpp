#include "runtime/exec_in_container.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "cgroups/cgroup.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "runtime/namespaces.h"
#include "runtime/process_exec.h"
#include "runtime/rlimits.h"
#include "runtime/seccomp_filter.h"
#include "runtime/signals.h"
#include "runtime/state_store.h"

namespace ecsd::runtime {
namespace {

Result<uint32_t> parse_id(std::string_view s, std::string_view what) {
  if (s.empty() || s.size() > 10) return fail_invalid(std::string(what) + ": expected a number, got \"" + std::string(s) + "\"");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return fail_invalid(std::string(what) + ": expected a number, got \"" + std::string(s) + "\"");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 0xffffffffull) return fail_invalid(std::string(what) + ": out of range");
  return static_cast<uint32_t>(v);
}

struct NsToJoin {
  int flag;
  UniqueFd fd;
};

}  // namespace

Result<User> parse_user(std::string_view s) {
  User u;
  size_t colon = s.find(':');
  auto uid = parse_id(s.substr(0, colon), "user uid");
  if (!uid) return fail(uid.error());
  u.uid = *uid;
  u.gid = *uid;
  if (colon != std::string_view::npos) {
    auto gid = parse_id(s.substr(colon + 1), "user gid");
    if (!gid) return fail(gid.error());
    u.gid = *gid;
  }
  return u;
}

Result<int> exec_in_container(const ExecRequest& req) {
  if (req.args.empty()) return fail_invalid("exec: no command given");
  auto state_text = read_file(req.state_dir + "/state.json");
  if (!state_text) return fail(state_text.error().with_context("reading container state"));
  auto state = state_from_json(*state_text);
  if (!state) return fail(state.error());
  if (!process_matches(state->pid, state->pid_start_time))
    return fail_invalid("container \"" + state->id + "\" is not running");
  auto cfg_text = read_file(req.state_dir + "/config.json");
  if (!cfg_text) return fail(cfg_text.error().with_context("reading container config"));
  auto spec = parse_spec(*cfg_text);
  if (!spec) return fail(spec.error().with_context("container config"));

  CompiledSeccomp seccomp;
  if (spec->linux.seccomp) {
    auto sc = compile_seccomp(*spec->linux.seccomp);
    if (!sc) return fail(sc.error());
    seccomp = std::move(*sc);
  }
  auto rl = resolve_rlimits(spec->process.rlimits);
  if (!rl) return fail(rl.error());

  ExecPlan plan;
  plan.args = req.args;
  plan.env = spec->process.env;
  for (const auto& e : req.env) {
    std::string key = e.substr(0, e.find('='));
    bool replaced = false;
    for (auto& cur : plan.env)
      if (cur.compare(0, key.size() + 1, key + "=") == 0) {
        cur = e;
        replaced = true;
      }
    if (!replaced) plan.env.push_back(e);
  }
  plan.cwd = req.cwd ? *req.cwd : (spec->process.cwd.empty() ? "/" : spec->process.cwd);
  plan.user = req.user ? *req.user : spec->process.user;
  plan.umask = spec->process.user.umask;
  plan.caps = spec->process.capabilities;
  plan.no_new_privileges = spec->process.no_new_privileges;
  plan.seccomp = &seccomp;
  plan.parent_death_signal = SIGKILL;

  // Namespaces that differ from ours, user first and mount last.
  static const int kOrder[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWNS};
  std::string base = "/proc/" + std::to_string(state->pid) + "/ns/";
  std::vector<NsToJoin> joins;
  bool joins_user = false;
  for (int flag : kOrder) {
    std::string name(namespace_proc_name(flag));
    struct stat theirs, ours;
    if (::stat((base + name).c_str(), &theirs) != 0) return fail_sys(errno, "stat", base + name);
    if (::stat(("/proc/self/ns/" + name).c_str(), &ours) == 0 && ours.st_ino == theirs.st_ino &&
        ours.st_dev == theirs.st_dev)
      continue;
    UniqueFd fd(::open((base + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_sys(errno, "open", base + name);
    if (flag == CLONE_NEWUSER) joins_user = true;
    joins.push_back({flag, std::move(fd)});
  }
  // Setgroups may be denied in the container's user namespace.
  if (joins_user) {
    auto sg = read_file("/proc/" + std::to_string(state->pid) + "/setgroups");
    if (sg && trim(*sg) == "deny") plan.set_groups = false;
  }
  UniqueFd pidns;
  {
    struct stat theirs, ours;
    if (::stat((base + "pid").c_str(), &theirs) == 0 && ::stat("/proc/self/ns/pid", &ours) == 0 &&
        ours.st_ino != theirs.st_ino) {
      pidns.reset(::open((base + "pid").c_str(), O_RDONLY | O_CLOEXEC));
      if (!pidns) return fail_sys(errno, "open", base + "pid");
    }
  }
  auto hierarchy = cgroups::Hierarchy::detect();
  if (!hierarchy) return fail(hierarchy.error());
  auto cg = cgroups::Cgroup::open(*hierarchy, state->cgroup_path);
  if (!cg) return fail(cg.error().with_context("container cgroup"));

  // v1 hierarchies: the child joins through `tasks` fds opened here (see
  // container.cpp: no RCU grace period for a thread moving itself); the rest
  // (cgroup2, or any hierarchy when joining a user namespace) by pid below.
  std::vector<UniqueFd> task_fds;
  std::vector<std::string> procs_files;
  for (const std::string& dir : cg->dirs()) {
    if (!joins_user) {
      UniqueFd fd(::open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
      if (fd) {
        task_fds.push_back(std::move(fd));
        continue;
      }
      if (errno != ENOENT) return fail_sys(errno, "open", dir + "/tasks");
    }
    procs_files.push_back(dir + "/cgroup.procs");
  }

  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
  UniqueFd go_r(go[0]), go_w(go[1]), err_r(err[0]), err_w(err[1]);
  if (pidns && ::setns(pidns.get(), CLONE_NEWPID) != 0) return fail_sys(errno, "setns pid namespace of", state->id);
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys(errno, "fork");
  if (pid == 0) {
    go_w.reset();
    err_r.reset();
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    char c;
    Error e;
    if (::read(go_r.get(), &c, 1) != 1) {
      e = Error::invalid("exec parent went away");
    } else {
      bool ok = true;
      for (auto& fd : task_fds) {
        if (ok && ::write(fd.get(), "0", 1) != 1) {
          e = Error::sys(errno, "join cgroup", state->cgroup_path).context("joining the container cgroup");
          ok = false;
        }
        ::close(fd.release());
      }
      for (auto& j : joins) {
        if (!ok) break;
        if (::setns(j.fd.get(), j.flag) != 0) {
          e = Error::sys(errno, "setns", base + std::string(namespace_proc_name(j.flag)));
          ok = false;
          break;
        }
      }
      if (ok) {
        plan.parent_alive_fd = err_w.get();
        if (auto st = apply_rlimits(*rl); !st) {
          e = st.error().with_context("process.rlimits");
        } else {
          e = exec_process(plan);
        }
      }
    }
    report_child_error(err_w.get(), e);
    ::_exit(127);
  }
  go_r.reset();
  err_w.reset();
  auto kill_and_reap = [&] {
    ::kill(pid, SIGKILL);
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  };
  task_fds.clear();
  for (const auto& f : procs_files) {
    if (auto st = write_existing_file(f, std::to_string(pid)); !st) {
      kill_and_reap();
      return fail(st.error().with_context("joining the container cgroup"));
    }
  }
  if (::write(go_w.get(), "G", 1) != 1) {
    kill_and_reap();
    return fail_sys(errno, "write sync pipe");
  }
  go_w.reset();
  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(err_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  if (!msg.empty()) {
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return fail(parse_child_error(msg));
  }
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail_sys(errno, "waitpid");
    break;
  }
  return exit_status_from_wait(status).exit_code;
}

}  // namespace ecsd::runtime
