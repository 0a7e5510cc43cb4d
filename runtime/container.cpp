#include "runtime/container.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "runtime/resources.h"

namespace ecsd::runtime {
namespace {

Status write_all(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys(errno, "write", what);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string id_map_text(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
}

// Host id that container id `id` maps to (for chown of the stdio pipes).
uint32_t host_id(const std::vector<IdMapping>& maps, uint32_t id) {
  for (const auto& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size) return m.host_id + (id - m.container_id);
  return id;
}

Status dup_stdio(const PreparedLaunch& p) {
  int fds[3] = {p.req.stdin_fd, p.req.stdout_fd, p.req.stderr_fd};
  int null_fd = -1;
  for (int i = 0; i < 3; ++i) {
    int fd = fds[i];
    if (fd < 0) {
      if (null_fd < 0) null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      if (null_fd < 0) return fail_sys(errno, "open", "/dev/null");
      fd = null_fd;
    }
    if (fd == i) {
      int fl = ::fcntl(fd, F_GETFD);
      if (fl >= 0) ::fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    } else if (::dup2(fd, i) < 0) {
      return fail_sys(errno, "dup2 stdio fd " + std::to_string(i));
    }
  }
  return {};
}

// v1 hierarchies: the child moves itself by writing "0" to each `tasks`
// file, through fds the parent opened (the kernel checks the opener's
// credentials and cgroup namespace). Moving one's own single thread skips the
// global threadgroup lock whose write side waits for an RCU grace period,
// which is what makes `echo PID > cgroup.procs` cost 5-15 ms per container.
struct SelfJoin {
  std::vector<UniqueFd> task_fds;     // v1: <dir>/tasks, written by the child
  std::vector<std::string> procs;     // others (cgroup2): <dir>/cgroup.procs, written by the parent
};

// In a user namespace the parent writes every file: older kernels check the
// writer's current credentials, which the child no longer has.
Result<SelfJoin> plan_self_join(const cgroups::Cgroup& cg, bool userns) {
  SelfJoin j;
  for (const std::string& dir : cg.dirs()) {
    if (userns) {
      j.procs.push_back(dir + "/cgroup.procs");
      continue;
    }
    std::string tasks = dir + "/tasks";
    UniqueFd fd(::open(tasks.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd) {
      j.task_fds.push_back(std::move(fd));
    } else if (errno == ENOENT) {
      j.procs.push_back(dir + "/cgroup.procs");
    } else {
      return fail_sys(errno, "open", tasks);
    }
  }
  return j;
}

// Runs in the child after clone. Returns only on failure.
// wait_go: the parent has work to do first (id maps, cgroup.procs writes);
// otherwise the child starts at once (one scheduler hand-off less).
Error child_setup(PreparedLaunch& p, int go_fd, int err_fd, const SelfJoin& join, bool wait_go) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (wait_go) {
    char c = 0;
    ssize_t n;
    do n = ::read(go_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) return Error::invalid("parent went away before the container started");
  }
  ::close(go_fd);
  for (const auto& fd : join.task_fds) {
    if (::write(fd.get(), "0", 1) != 1)
      return Error::sys(errno, "join cgroup", p.cgroup_path).context("adding the process to its cgroup");
    ::close(fd.get());
  }
  const auto& ns = p.namespaces;
  for (const auto& j : ns.joins) {
    if (j.flag == CLONE_NEWPID) continue;  // joined by the parent before clone
    if (::setns(j.fd.get(), j.flag) != 0) return Error::sys(errno, "setns", j.path).context("linux.namespaces");
  }
  if (ns.joins_user()) {
    int rest = ns.create_flags & ~(CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWCGROUP);
    if (rest && ::unshare(rest) != 0) return Error::sys(errno, "unshare namespaces");
  }
  if (ns.new_user() || ns.joins_user()) {
    if (::setresgid(0, 0, 0) != 0) return Error::sys(errno, "setresgid 0 in user namespace");
    if (::setresuid(0, 0, 0) != 0) return Error::sys(errno, "setresuid 0 in user namespace");
  }
  if ((ns.create_flags & CLONE_NEWCGROUP) && ::unshare(CLONE_NEWCGROUP) != 0)
    return Error::sys(errno, "unshare cgroup namespace");
  if (::setsid() < 0) return Error::sys(errno, "setsid");
  if (auto st = dup_stdio(p); !st) return st.error();
  if ((ns.create_flags & CLONE_NEWUTS) && !p.req.spec.hostname.empty() &&
      ::sethostname(p.req.spec.hostname.data(), p.req.spec.hostname.size()) != 0)
    return Error::sys(errno, "sethostname", p.req.spec.hostname).context("hostname");
  if (!p.req.exec_fifo.empty()) {
    p.exec.fifo_fd = ::open(p.req.exec_fifo.c_str(), O_PATH | O_CLOEXEC);
    if (p.exec.fifo_fd < 0) return Error::sys(errno, "open exec fifo", p.req.exec_fifo);
    p.exec.ready_fd = err_fd;
  }
  if (auto st = setup_rootfs(p.rootfs); !st) return st.error();
  if (auto st = finish_rootfs(p.rootfs); !st) return st.error();
  if (auto st = apply_rlimits(p.rlimits); !st) return st.error().with_context("process.rlimits");
  if (p.req.spec.process.oom_score_adj) {
    auto st = write_existing_file("/proc/self/oom_score_adj", std::to_string(*p.req.spec.process.oom_score_adj));
    if (!st) return st.error().with_context("process.oomScoreAdj");
  }
  return exec_process(p.exec);
}

class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
  void release() { pid_ = -1; }

 private:
  pid_t pid_;
};

class CgroupGuard {
 public:
  explicit CgroupGuard(cgroups::Cgroup* cg) : cg_(cg) {}
  ~CgroupGuard() {
    if (cg_) (void)cg_->remove();
  }
  void release() { cg_ = nullptr; }

 private:
  cgroups::Cgroup* cg_;
};

class UnlinkGuard {
 public:
  explicit UnlinkGuard(std::string p) : path_(std::move(p)) {}
  UnlinkGuard(const UnlinkGuard&) = delete;
  UnlinkGuard& operator=(const UnlinkGuard&) = delete;
  ~UnlinkGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void release() { path_.clear(); }
  void set(std::string p) { path_ = std::move(p); }

 private:
  std::string path_;
};

}  // namespace

uint64_t parse_oom_kill_count(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (line.rfind("oom_kill ", 0) == 0) {
      uint64_t v = 0;
      for (char ch : line.substr(9)) {
        if (ch < '0' || ch > '9') break;
        v = v * 10 + static_cast<uint64_t>(ch - '0');
      }
      return v;
    }
    pos = nl + 1;
  }
  return 0;
}

Result<std::string> container_cgroup_path(const Spec& spec, std::string_view id) { return cgroup_path_for(spec, id); }

Result<std::unique_ptr<PreparedLaunch>> prepare_launch(const LaunchRequest& req) {
  auto p = std::make_unique<PreparedLaunch>();
  p->req = req;
  const Spec& spec = p->req.spec;
  ECSD_TRY(validate_spec(spec));
  if (spec.process.args.empty()) return fail_invalid("process.args: must not be empty");
  if (spec.process.terminal) return fail_invalid("process.terminal: true is not supported");
  if (!spec.root.path.empty() && spec.root.path[0] != '/' && req.bundle.empty())
    return fail_invalid("root.path: \"" + spec.root.path + "\" must be absolute (or give the bundle)");
  auto ns = plan_namespaces(spec.linux.namespaces);
  if (!ns) return fail(ns.error());
  p->namespaces = std::move(*ns);
  if (!(p->namespaces.create_flags & CLONE_NEWNS))
    return fail_invalid("linux.namespaces: a new mount namespace is required");
  if (p->namespaces.new_user() && (spec.linux.uid_mappings.empty() || spec.linux.gid_mappings.empty()))
    return fail_invalid("linux.uidMappings/gidMappings: a user namespace needs both mappings");
  auto cgpath = cgroup_path_for(spec, req.id);
  if (!cgpath) return fail(cgpath.error());
  p->cgroup_path = *cgpath;
  auto res = map_resources(spec.linux.resources);
  if (!res) return fail(res.error());
  p->resources = *res;
  auto rl = resolve_rlimits(spec.process.rlimits);
  if (!rl) return fail(rl.error());
  p->rlimits = std::move(*rl);
  auto rootfs = plan_rootfs(spec, req.bundle);
  if (!rootfs) return fail(rootfs.error());
  p->rootfs = std::move(*rootfs);
  if (spec.linux.seccomp) {
    auto sc = compile_seccomp(*spec.linux.seccomp);
    if (!sc) return fail(sc.error());
    p->seccomp = std::move(*sc);
  }
  if (req.hierarchy) {
    p->hierarchy = req.hierarchy;
  } else {
    auto h = cgroups::Hierarchy::detect();
    if (!h) return fail(h.error().with_context("detecting cgroup hierarchies"));
    p->hierarchy = std::make_shared<const cgroups::Hierarchy>(std::move(*h));
  }
  p->rootfs.hierarchy = p->hierarchy.get();
  p->rootfs.cgroup_path = p->cgroup_path;
  p->rootfs.cgroupns = p->namespaces.create_flags & CLONE_NEWCGROUP;
  p->rootfs.userns = p->namespaces.new_user() || p->namespaces.joins_user();
  ECSD_TRY(open_namespace_files(p->namespaces));
  ExecPlan& e = p->exec;
  e.args = spec.process.args;
  e.env = spec.process.env;
  e.cwd = spec.process.cwd.empty() ? "/" : spec.process.cwd;
  e.user = spec.process.user;
  e.umask = spec.process.user.umask;
  e.caps = spec.process.capabilities;
  e.no_new_privileges = spec.process.no_new_privileges;
  e.seccomp = &p->seccomp;
  // setgroups(2) is allowed in a user namespace created by root (we write
  // the gid map as root, so "deny" is not needed).
  e.set_groups = true;
  return p;
}

Result<Launched> launch(PreparedLaunch& p) {
  const Spec& spec = p.req.spec;
  auto created = cgroups::Cgroup::create(*p.hierarchy, p.cgroup_path);
  if (!created) return fail(created.error().with_context("creating cgroup " + p.cgroup_path));
  auto cg = std::make_unique<cgroups::Cgroup>(std::move(*created));
  CgroupGuard cg_guard(cg.get());
  if (auto st = cg->apply(p.resources); !st)
    return fail(st.error().with_context(resources_field_for_error(st.error().message)));
  // Device rules (v1 devices controller): the spec's, in order (Docker's
  // default denies everything first), then, as runc does, access to every
  // node the container is given and mknod of any.
  if (std::string dev = cg->dir_for("devices"); !dev.empty() && p.hierarchy->layout() != cgroups::Layout::kV2) {
    for (const auto& [file, line] : device_rule_lines(device_rules_for(spec, p.rootfs.devices))) {
      if (auto st = write_existing_file(dev + "/" + file, line); !st)
        return fail(st.error().with_context("linux.resources.devices \"" + line + "\""));
    }
  }

  Launched out;
  if (std::string mem = cg->dir_for("memory"); !mem.empty()) {
    out.oom_counter_file =
        mem + (p.hierarchy->layout() == cgroups::Layout::kV2 ? "/memory.events" : "/memory.oom_control");
    if (auto t = read_file(out.oom_counter_file)) out.oom_kills_before = parse_oom_kill_count(*t);
  }

  UnlinkGuard fifo_guard("");
  if (!p.req.exec_fifo.empty()) {
    if (::mkfifo(p.req.exec_fifo.c_str(), 0622) != 0) return fail_sys(errno, "mkfifo", p.req.exec_fifo);
    fifo_guard.set(p.req.exec_fifo);
    ::chmod(p.req.exec_fifo.c_str(), 0622);
  }
  if (p.req.chown_stdio) {
    uid_t uid = host_id(spec.linux.uid_mappings, spec.process.user.uid);
    gid_t gid = host_id(spec.linux.gid_mappings, spec.process.user.gid);
    for (int fd : {p.req.stdout_fd, p.req.stderr_fd})
      if (fd >= 0 && ::fchown(fd, uid, gid) != 0) return fail_sys(errno, "chown stdio pipe");
  }

  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
  UniqueFd go_r(go[0]), go_w(go[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
  UniqueFd err_r(err[0]), err_w(err[1]);

  auto join = plan_self_join(*cg, p.namespaces.new_user() || p.namespaces.joins_user());
  if (!join) return fail(join.error().with_context("adding the process to its cgroup"));

  UniqueFd own_pidns;
  const NamespaceJoin* pid_join = p.namespaces.join_for(CLONE_NEWPID);
  if (pid_join) {
    own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_pidns) return fail_sys(errno, "open", "/proc/self/ns/pid");
    if (::setns(pid_join->fd.get(), CLONE_NEWPID) != 0)
      return fail(Error::sys(errno, "setns", pid_join->path).context("linux.namespaces"));
  }
  const bool wait_go = p.namespaces.new_user() || !join->procs.empty();
  unsigned long flags = static_cast<unsigned long>(p.namespaces.create_flags) & ~static_cast<unsigned long>(CLONE_NEWCGROUP);
  if (p.namespaces.joins_user()) flags &= CLONE_NEWPID;
  long rc = ::syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) {
    go_w.reset();
    err_r.reset();
    Error e = child_setup(p, go_r.get(), err_w.get(), *join, wait_go);
    report_child_error(err_w.get(), e);
    ::_exit(127);
  }
  int clone_errno = errno;
  if (own_pidns) ::setns(own_pidns.get(), CLONE_NEWPID);
  if (rc < 0) return fail_sys(clone_errno, "clone");
  pid_t pid = static_cast<pid_t>(rc);
  ChildGuard child_guard(pid);
  go_r.reset();
  err_w.reset();

  join->task_fds.clear();  // the child holds its copies
  for (const auto& procs : join->procs) {
    if (auto st = write_existing_file(procs, std::to_string(pid)); !st)
      return fail(st.error().with_context("adding the process to its cgroup"));
  }
  if (p.namespaces.new_user()) {
    std::string base = "/proc/" + std::to_string(pid);
    if (auto st = write_existing_file(base + "/uid_map", id_map_text(spec.linux.uid_mappings)); !st)
      return fail(st.error().with_context("linux.uidMappings"));
    if (auto st = write_existing_file(base + "/gid_map", id_map_text(spec.linux.gid_mappings)); !st)
      return fail(st.error().with_context("linux.gidMappings"));
  }
  if (wait_go) ECSD_TRY(write_all(go_w.get(), "G", "sync pipe"));
  go_w.reset();

  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(err_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
    if (msg[0] == 'R') break;
  }
  if (!msg.empty() && msg[0] == 'E') return fail(parse_child_error(msg));
  if (!msg.empty() && msg[0] == 'R') {
    out.waiting_for_start = true;
    msg.erase(0, 1);
    if (!msg.empty() && msg[0] == 'E') return fail(parse_child_error(msg));
  } else if (!p.req.exec_fifo.empty()) {
    return fail_invalid("container process ended before it was ready");
  }
  child_guard.release();
  cg_guard.release();
  fifo_guard.release();
  out.pid = pid;
  out.cgroup = std::move(cg);
  out.error_fd = std::move(err_r);
  return out;
}

Result<Launched> launch_container(const LaunchRequest& req) {
  auto p = prepare_launch(req);
  if (!p) return fail(p.error());
  return launch(**p);
}

}  // namespace ecsd::runtime
