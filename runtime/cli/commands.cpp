#include "runtime/cli/commands.h"
#include "runtime/shim_path.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "runtime/cli/args.h"
#include "runtime/defaults.h"
#include "runtime/exec_in_container.h"
#include "runtime/lifecycle.h"
#include "runtime/signals.h"
#include "runtime/state_store.h"

namespace ecsd::runtime::cli {
namespace {

int fail_msg(const std::string& msg) {
  std::fprintf(stderr, "ecsd-runtime: %s\n", msg.c_str());
  return 1;
}

int fail_err(const Error& e) { return fail_msg(e.message); }

Result<Parsed> parse(const std::vector<std::string>& args, const std::vector<FlagSpec>& flags, size_t min_positional,
                     bool stop_at_positional = false) {
  auto p = parse_args(args, flags, stop_at_positional);
  if (!p) return p;
  if (p->positional.size() < min_positional) return fail_invalid("missing container id");
  return p;
}

Status write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return {};
  return write_file_replace(path, std::to_string(pid), false);
}

// Starts ecsd-shim detached; returns the container pid once it is set up
// (waiting on the exec fifo when wait_start).
Result<pid_t> spawn_shim(const Global& g, const std::string& id, const std::string& bundle, const std::string& log_path,
                         bool wait_start) {
  // $ECSD_SHIM, next to this binary, /usr/libexec/ecsd/ (runtime/shim_path.h)
  auto found = runtime::find_shim(std::getenv("ECSD_SHIM"), g.self_dir);
  if (!found) return fail(found.error());
  std::string shim = *found;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_sys(errno, "pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  std::vector<std::string> args = {shim, "run", "--root", g.root, "--id", id, "--bundle", bundle, "--ready-fd", "3",
                                   "--detach"};
  if (wait_start) args.push_back("--wait-start");
  if (!log_path.empty()) {
    args.push_back("--log");
    args.push_back(log_path);
  }
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys(errno, "fork");
  if (pid == 0) {
    if (::dup2(wr.get(), 3) < 0) ::_exit(127);
    ::execve(shim.c_str(), av.data(), environ);
    std::fprintf(stderr, "ecsd-runtime: exec %s: %s\n", shim.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  wr.reset();
  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
    // One line is the whole answer; a created container still holds a copy
    // of the pipe while it waits on its exec fifo, so EOF may not come.
    if (msg.find('\n') != std::string::npos) break;
  }
  rd.reset();
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (msg.rfind("ok ", 0) == 0) return static_cast<pid_t>(std::atoi(msg.c_str() + 3));
  if (msg.rfind("error ", 0) == 0) return fail_invalid(msg.substr(6));
  return fail_invalid("ecsd-shim exited without reporting (status " + std::to_string(st) + ")");
}

const std::vector<FlagSpec> kCreateFlags = {
    {"bundle", "b", true},      {"pid-file", "", true},       {"log-path", "", true},
    {"console-socket", "", true}, {"no-pivot", "", false},    {"no-new-keyring", "", false},
    {"preserve-fds", "", true}, {"detach", "d", false},       {"keep", "", false},
};

std::string bundle_of(const Parsed& p) {
  std::string b = p.get("bundle", ".");
  if (b.empty()) b = ".";
  if (b[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) b = b == "." ? std::string(cwd) : std::string(cwd) + "/" + b;
  }
  return b;
}

Status check_unsupported(const Parsed& p) {
  if (p.has("console-socket")) return fail_invalid("--console-socket: terminals are not supported");
  if (p.has("preserve-fds") && p.get("preserve-fds") != "0") return fail_invalid("--preserve-fds is not supported");
  return {};
}

// The foreground `run`: this process is the container's parent.
volatile sig_atomic_t g_forward_pid = 0;
void forward_signal(int sig) {
  if (g_forward_pid > 0) ::kill(g_forward_pid, sig);
}

}  // namespace

int cmd_create(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, kCreateFlags, 1);
  if (!p) return fail_err(p.error());
  if (auto st = check_unsupported(*p); !st) return fail_err(st.error());
  const std::string& id = p->positional[0];
  auto pid = spawn_shim(g, id, bundle_of(*p), p->get("log-path"), true);
  if (!pid) return fail_err(pid.error());
  if (auto st = write_pid_file(p->get("pid-file"), *pid); !st) return fail_err(st.error());
  return 0;
}

int cmd_start(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, {}, 1);
  if (!p) return fail_err(p.error());
  StateStore store(g.root);
  if (auto st = start_created(store, p->positional[0]); !st) return fail_err(st.error());
  return 0;
}

int cmd_run(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, kCreateFlags, 1);
  if (!p) return fail_err(p.error());
  if (auto st = check_unsupported(*p); !st) return fail_err(st.error());
  const std::string id = p->positional[0];
  if (p->has("detach")) {
    auto pid = spawn_shim(g, id, bundle_of(*p), p->get("log-path"), false);
    if (!pid) return fail_err(pid.error());
    if (auto st = write_pid_file(p->get("pid-file"), *pid); !st) return fail_err(st.error());
    return 0;
  }
  StateStore store(g.root);
  StartOptions opts;
  opts.id = id;
  opts.bundle = bundle_of(*p);
  opts.stdin_fd = 0;
  opts.stdout_fd = 1;
  opts.stderr_fd = 2;
  opts.durable = false;  // state of a foreground run dies with it
  auto started = start_container(store, opts);
  if (!started) return fail_err(started.error());
  pid_t pid = started->launched.pid;
  g_forward_pid = pid;
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::sigaction(s, &sa, nullptr);
  if (auto st = write_pid_file(p->get("pid-file"), pid); !st) std::fprintf(stderr, "ecsd-runtime: %s\n", st.error().message.c_str());
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, 0);
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  ExitStatus es = exit_status_from_wait(status);
  // Like runc run: the container is gone, so is its state.
  (void)started->launched.cgroup->kill_all(SIGKILL);
  if (auto st = started->launched.cgroup->remove(); !st) std::fprintf(stderr, "ecsd-runtime: %s\n", st.error().message.c_str());
  (void)store.remove(id);
  return es.exit_code;
}

int cmd_state(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, {}, 1);
  if (!p) return fail_err(p.error());
  StateStore store(g.root);
  const std::string& id = p->positional[0];
  auto st = store.read_state(id);
  if (!st) return fail_err(st.error());
  auto exit = store.read_exit(id);
  if (!exit) return fail_err(exit.error());
  std::fputs(oci_state_json(*st, store.status(*st), *exit).c_str(), stdout);
  return 0;
}

int cmd_kill(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, {{"all", "a", false}}, 1);
  if (!p) return fail_err(p.error());
  int sig = SIGTERM;
  if (p->positional.size() > 1) {
    auto s = parse_signal(p->positional[1]);
    if (!s) return fail_msg("unknown signal \"" + p->positional[1] + "\"");
    sig = *s;
  }
  StateStore store(g.root);
  if (auto st = kill_container(store, p->positional[0], sig, p->has("all")); !st) return fail_err(st.error());
  return 0;
}

int cmd_delete(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, {{"force", "f", false}}, 1);
  if (!p) return fail_err(p.error());
  StateStore store(g.root);
  if (auto st = delete_container(store, p->positional[0], p->has("force")); !st) return fail_err(st.error());
  return 0;
}

int cmd_exec(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args,
                 {{"env", "e", true, true}, {"cwd", "", true}, {"user", "u", true}, {"tty", "t", false},
                  {"detach", "d", false}, {"pid-file", "", true}},
                 2, true);
  if (!p) return fail_err(p.error());
  if (p->has("tty")) return fail_msg("--tty: terminals are not supported");
  if (p->has("detach")) return fail_msg("exec --detach is not supported");
  StateStore store(g.root);
  ExecRequest req;
  req.state_dir = store.dir(p->positional[0]);
  if (auto v = validate_container_id(p->positional[0]); !v) return fail_err(v.error());
  if (!store.exists(p->positional[0])) return fail_msg("container \"" + p->positional[0] + "\" does not exist");
  req.args.assign(p->positional.begin() + 1, p->positional.end());
  req.env = p->all("env");
  if (p->has("cwd")) req.cwd = p->get("cwd");
  if (p->has("user")) {
    auto u = parse_user(p->get("user"));
    if (!u) return fail_err(u.error());
    req.user = *u;
  }
  auto rc = exec_in_container(req);
  if (!rc) return fail_err(rc.error());
  return *rc;
}

int cmd_list(const Global& g, const std::vector<std::string>& args) {
  auto p = parse(args, {{"format", "f", true}, {"quiet", "q", false}}, 0);
  if (!p) return fail_err(p.error());
  StateStore store(g.root);
  auto ids = store.list();
  if (!ids) return fail_err(ids.error());
  std::string format = p->get("format", "table");
  nlohmann::json arr = nlohmann::json::array();
  std::string table;
  if (!p->has("quiet")) table = "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n";
  for (const auto& id : *ids) {
    auto st = store.read_state(id);
    if (!st) continue;
    ContainerStatus s = store.status(*st);
    pid_t pid = s == ContainerStatus::kStopped ? 0 : st->pid;
    if (p->has("quiet")) {
      table += id + "\n";
      continue;
    }
    table += id + "\t" + std::to_string(pid) + "\t" + std::string(to_string(s)) + "\t" + st->bundle + "\t" +
             st->created + "\troot\n";
    arr.push_back({{"ociVersion", st->oci_version}, {"id", id}, {"pid", pid}, {"status", std::string(to_string(s))},
                   {"bundle", st->bundle}, {"rootfs", st->rootfs}, {"created", st->created}, {"owner", "root"}});
  }
  if (format == "json")
    std::puts(arr.dump().c_str());
  else if (format == "table")
    std::fputs(table.c_str(), stdout);
  else
    return fail_msg("--format: expected table or json, got \"" + format + "\"");
  return 0;
}

int cmd_spec(const Global&, const std::vector<std::string>& args) {
  auto p = parse(args, {{"bundle", "b", true}, {"rootless", "", false}}, 0);
  if (!p) return fail_err(p.error());
  if (p->has("rootless")) return fail_msg("--rootless is not supported");
  auto spec = docker_default_spec();
  if (!spec) return fail_err(spec.error());
  spec->root.path = "rootfs";
  spec->process.args = {"sh"};
  spec->hostname = "ecsd";
  std::string path = bundle_of(*p) + "/config.json";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return fail_msg("File " + path + " exists. Remove it first");
  if (auto w = write_file_replace(path, spec_to_json(*spec).dump(2) + "\n", false); !w) return fail_err(w.error());
  return 0;
}

}  // namespace ecsd::runtime::cli
