// OomWatcher: v1 eventfd on memory.oom_control, v2 inotify on memory.events.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {

// The oom_kill counter of memory.events (v2) or memory.oom_control (v1);
// nullopt when the kernel does not report one (v1 before 4.13).
Result<std::optional<uint64_t>> read_oom_kills(const std::string& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  auto m = parse_keyed(*text);
  auto it = m.find("oom_kill");
  if (it == m.end()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(it->second);
}

}  // namespace

Result<OomWatcher> OomWatcher::watch(const Cgroup& cg) {
  const std::string ctx = "watching cgroup " + cg.path() + " for OOM kills";
  OomWatcher w;
  w.v2_ = cg.hierarchy().layout() == Layout::kV2;
  w.cgroup_dir_ = w.v2_ ? cg.dirs().front() : cg.dir_for("memory");
  if (w.cgroup_dir_.empty()) return fail_invalid(ctx + ": the memory controller is not mounted");
  const std::string counter = w.cgroup_dir_ + (w.v2_ ? "/memory.events" : "/memory.oom_control");
  if (w.v2_) {
    w.fd_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!w.fd_) return fail(Error::sys(errno, "inotify_init1").context(ctx));
    if (::inotify_add_watch(w.fd_.get(), counter.c_str(), IN_MODIFY) < 0)
      return fail(Error::sys(errno, "inotify_add_watch", counter).context(ctx));
  } else {
    w.target_fd_.reset(::open(counter.c_str(), O_RDONLY | O_CLOEXEC));
    if (!w.target_fd_) return fail(Error::sys(errno, "open", counter).context(ctx));
    w.fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!w.fd_) return fail(Error::sys(errno, "eventfd").context(ctx));
    std::string reg = std::to_string(w.fd_.get()) + " " + std::to_string(w.target_fd_.get());
    auto st = write_existing_file(w.cgroup_dir_ + "/cgroup.event_control", reg);
    if (!st) return fail(st.error().with_context(ctx));
  }
  auto n = read_oom_kills(counter);
  if (!n) return fail(n.error().with_context(ctx));
  w.last_count_ = n->value_or(0);
  return w;
}

Result<uint64_t> OomWatcher::consume() {
  // Drain the fd: inotify events, or the eventfd counter (OOM events on v1).
  uint64_t events = 0;
  for (;;) {
    char buf[4096] __attribute__((aligned(8)));
    ssize_t n = ::read(fd_.get(), buf, v2_ ? sizeof buf : sizeof(uint64_t));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return fail_sys(errno, "read OOM notification fd for", cgroup_dir_);
    }
    if (n == 0) break;
    if (!v2_ && n == sizeof(uint64_t)) {
      uint64_t v;
      __builtin_memcpy(&v, buf, sizeof v);
      events += v;
    }
  }
  auto count = read_oom_kills(cgroup_dir_ + (v2_ ? "/memory.events" : "/memory.oom_control"));
  if (!count) return std::unexpected(count.error());
  if (!*count) return events;  // old v1 kernel: no counter, count the events
  uint64_t now = **count;
  uint64_t fresh = now >= last_count_ ? now - last_count_ : 0;
  last_count_ = now;
  return fresh;
}

}  // namespace ecsd::cgroups
