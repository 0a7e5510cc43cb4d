#include "runtime/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace ecsd::runtime {
namespace {

void sleep_ms(int ms) {
  timespec ts{0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

bool pid_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM) && process_matches(pid, 0); }

}  // namespace

Result<Spec> load_spec_for(const std::string& bundle, const std::string& config_path) {
  std::string b = bundle.empty() ? "." : bundle;
  if (b[0] != '/') {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) return fail_sys(errno, "getcwd");
    b = b == "." ? std::string(cwd) : std::string(cwd) + "/" + b;
  }
  std::string path = config_path.empty() ? b + "/config.json" : config_path;
  auto text = read_file(path);
  if (!text) return fail(text.error().with_context("reading the bundle config"));
  auto spec = parse_spec(*text);
  if (!spec) return fail(spec.error().with_context(path));
  if (!spec->root.path.empty() && spec->root.path[0] != '/') spec->root.path = b + "/" + spec->root.path;
  return spec;
}

Result<Started> start_container(const StateStore& store, const StartOptions& opts) {
  ECSD_TRY(validate_container_id(opts.id));
  std::string bundle = opts.bundle.empty() ? "." : opts.bundle;
  if (bundle[0] != '/') {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) return fail_sys(errno, "getcwd");
    bundle = bundle == "." ? std::string(cwd) : std::string(cwd) + "/" + bundle;
  }
  auto spec = load_spec_for(bundle, opts.config_path);
  if (!spec) return fail(spec.error());

  LaunchRequest req;
  req.id = opts.id;
  req.bundle = bundle;
  req.spec = std::move(*spec);
  auto prepared = prepare_launch(req);  // all validation before anything exists
  if (!prepared) return fail(prepared.error());
  PreparedLaunch& p = **prepared;

  ECSD_TRY(store.create(opts.id));
  struct DirGuard {
    const StateStore& s;
    std::string id;
    bool armed = true;
    ~DirGuard() {
      if (armed) (void)s.remove(id);
    }
  } dir_guard{store, opts.id};

  ECSD_TRY(write_file_replace(store.config_path(opts.id), spec_to_json(p.req.spec).dump(), opts.durable));

  Started out;
  UniqueFd out_w, err_w;
  if (opts.capture_output) {
    int a[2], b[2];
    if (::pipe2(a, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
    out.stdout_r.reset(a[0]);
    out_w.reset(a[1]);
    if (::pipe2(b, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
    out.stderr_r.reset(b[0]);
    err_w.reset(b[1]);
    p.req.stdout_fd = out_w.get();
    p.req.stderr_fd = err_w.get();
    p.req.stdin_fd = opts.stdin_fd;
    p.req.chown_stdio = true;
  } else {
    p.req.stdin_fd = opts.stdin_fd;
    p.req.stdout_fd = opts.stdout_fd;
    p.req.stderr_fd = opts.stderr_fd;
  }
  if (opts.wait_for_start) p.req.exec_fifo = store.fifo_path(opts.id);

  auto launched = launch(p);
  if (!launched) return fail(launched.error());
  out_w.reset();
  err_w.reset();

  ContainerState& st = out.state;
  st.id = opts.id;
  st.oci_version = p.req.spec.oci_version.empty() ? "1.0.2" : p.req.spec.oci_version;
  st.pid = launched->pid;
  st.pid_start_time = process_start_time(launched->pid);
  st.shim_pid = opts.shim_pid ? opts.shim_pid : ::getpid();
  st.bundle = bundle;
  st.rootfs = p.req.spec.root.path;
  st.created = now_rfc3339();
  st.cgroup_path = p.cgroup_path;
  st.annotations = p.req.spec.annotations;
  if (auto w = store.write_state(st, opts.durable); !w) {
    ::kill(launched->pid, SIGKILL);
    int ws;
    ::waitpid(launched->pid, &ws, 0);
    (void)launched->cgroup->remove();
    return fail(w.error());
  }
  dir_guard.armed = false;
  out.launched = std::move(*launched);
  return out;
}

Status start_created(const StateStore& store, const std::string& id) {
  auto st = store.read_state(id);
  if (!st) return fail(st.error());
  auto status = store.status(*st);
  if (status != ContainerStatus::kCreated)
    return fail_invalid("container \"" + id + "\" is " + std::string(to_string(status)) + ", not created");
  std::string fifo = store.fifo_path(id);
  UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return fail_sys(errno, "open exec fifo", fifo);
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (p.revents & POLLIN)) {
      char c;
      if (::read(fd.get(), &c, 1) == 1) break;
    }
    if (!process_matches(st->pid, st->pid_start_time)) {
      ::unlink(fifo.c_str());
      return fail_invalid("container \"" + id + "\" exited before it was started");
    }
  }
  ::unlink(fifo.c_str());
  return {};
}

Status kill_container(const StateStore& store, const std::string& id, int sig, bool all) {
  auto st = store.read_state(id);
  if (!st) return fail(st.error());
  if (all) {
    auto h = cgroups::Hierarchy::detect();
    if (!h) return fail(h.error());
    auto cg = cgroups::Cgroup::open(*h, st->cgroup_path);
    if (!cg) return fail(cg.error());
    return cg->kill_all(sig);
  }
  if (store.status(*st) == ContainerStatus::kStopped)
    return fail_invalid("container \"" + id + "\" is not running");
  if (::kill(st->pid, sig) != 0) return fail_sys(errno, "kill pid " + std::to_string(st->pid) + " of container", id);
  return {};
}

Status delete_container(const StateStore& store, const std::string& id, bool force) {
  auto st = store.read_state(id);
  if (!st) return fail(st.error());
  auto status = store.status(*st);
  if (status == ContainerStatus::kRunning && !force)
    return fail_invalid("container \"" + id + "\" is running; stop it first or use delete -f");
  auto h = cgroups::Hierarchy::detect();
  if (!h) return fail(h.error());
  auto cg = cgroups::Cgroup::open(*h, st->cgroup_path);
  if (status != ContainerStatus::kStopped) {
    if (cg) (void)cg->kill_all(SIGKILL);
    ::kill(st->pid, SIGKILL);
  }
  // Let the process die and its shim record the exit before the files go.
  for (int i = 0; i < 500; ++i) {
    bool alive = process_matches(st->pid, st->pid_start_time);
    bool shim = st->shim_pid != ::getpid() && pid_alive(st->shim_pid);
    if (!alive && !shim) break;
    sleep_ms(10);
  }
  if (cg) {
    if (auto r = cg->remove(); !r) return fail(r.error().with_context("removing cgroup of " + id));
  }
  return store.remove(id);
}

}  // namespace ecsd::runtime
