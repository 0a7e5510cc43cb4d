#include "runtime/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_util.h"
#include "common/unique_fd.h"
#include "runtime/container.h"
#include "runtime/json_log.h"
#include "runtime/process_exec.h"
#include "runtime/resident_trim.h"
#include "runtime/signals.h"

namespace ecsd::runtime {
namespace {

struct Stream {
  int fd = -1;
  const char* name = "";
  LineSplitter split;
};

class LogSink {
 public:
  explicit LogSink(const std::string& path) {
    if (!path.empty()) fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  }
  void write(const char* stream, std::string_view msg) {
    if (!fd_) return;
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    std::string rec = format_log_record(stream, msg, ts);
    std::string_view d = rec;
    while (!d.empty()) {
      ssize_t n = ::write(fd_.get(), d.data(), d.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      d.remove_prefix(static_cast<size_t>(n));
    }
  }

 private:
  UniqueFd fd_;
};

// Reads what is there; returns false at EOF or error.
bool pump(Stream& s, LogSink& log) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(s.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) {
      s.split.finish([&](std::string_view m) { log.write(s.name, m); });
      return false;
    }
    s.split.feed(std::string_view(buf, static_cast<size_t>(n)), [&](std::string_view m) { log.write(s.name, m); });
    if (static_cast<size_t>(n) < sizeof buf) return true;
  }
}

}  // namespace

Result<ExitRecord> run_monitor(const MonitorConfig& cfg) {
  LogSink log(cfg.log_path);
  Stream streams[2];
  streams[0].fd = cfg.stdout_fd;
  streams[0].name = "stdout";
  streams[1].fd = cfg.stderr_fd;
  streams[1].name = "stderr";
  for (auto& s : streams)
    if (s.fd >= 0) ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) | O_NONBLOCK);
  int error_fd = cfg.error_fd;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, cfg.pid, 0)));
  bool exited = false;
  int wait_status = 0;
  auto try_reap = [&](int flags) {
    for (;;) {
      pid_t r = ::waitpid(cfg.pid, &wait_status, flags);
      if (r < 0 && errno == EINTR) continue;
      if (r == cfg.pid) exited = true;
      if (r < 0 && errno == ECHILD) {
        exited = true;  // someone else reaped it: unknown status
        wait_status = 0xff00;
      }
      return;
    }
  };
  bool trim_pending = cfg.trim_resident;
  while (!exited) {
    pollfd pfds[4];
    int n = 0;
    int idx_pid = -1, idx_err = -1, idx_s[2] = {-1, -1};
    for (int i = 0; i < 2; ++i)
      if (streams[i].fd >= 0) {
        idx_s[i] = n;
        pfds[n++] = {streams[i].fd, POLLIN, 0};
      }
    if (error_fd >= 0) {
      idx_err = n;
      pfds[n++] = {error_fd, POLLIN, 0};
    }
    if (pidfd) {
      idx_pid = n;
      pfds[n++] = {pidfd.get(), POLLIN, 0};
    }
    if (n == 0 || (!pidfd && idx_s[0] < 0 && idx_s[1] < 0 && idx_err < 0)) {
      try_reap(0);
      break;
    }
    int r = 0;
    if (trim_pending) {
      // Only once nothing has happened for a second: a chatty container
      // would fault the pages straight back in.
      r = ::poll(pfds, static_cast<nfds_t>(n), 1000);
      if (r == 0) {
        trim_resident_image();
        trim_pending = false;
        continue;
      }
    } else {
      r = ::poll(pfds, static_cast<nfds_t>(n), -1);
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_sys(errno, "poll");
    }
    if (cfg.trim_resident && r > 0) trim_pending = true;
    for (int i = 0; i < 2; ++i) {
      if (idx_s[i] >= 0 && pfds[idx_s[i]].revents) {
        if (!pump(streams[i], log)) {
          ::close(streams[i].fd);
          streams[i].fd = -1;
        }
      }
    }
    if (idx_err >= 0 && pfds[idx_err].revents) {
      char buf[4096];
      ssize_t k = ::read(error_fd, buf, sizeof buf);
      if (k > 0) {
        std::string_view m(buf, static_cast<size_t>(k));
        if (!m.empty() && m[0] == 'E') log.write("stderr", "ecsd: " + parse_child_error(m).message + "\n");
      } else if (k == 0 || errno != EINTR) {
        ::close(error_fd);
        error_fd = -1;
      }
    }
    if (idx_pid >= 0 && pfds[idx_pid].revents) try_reap(WNOHANG);
    if (!pidfd && streams[0].fd < 0 && streams[1].fd < 0) try_reap(0);
  }
  // Drain what the container wrote before it ended; processes it left
  // behind (no pid namespace) must not keep the shim alive.
  for (auto& s : streams) {
    if (s.fd < 0) continue;
    pump(s, log);
    s.split.finish([&](std::string_view m) { log.write(s.name, m); });
    ::close(s.fd);
    s.fd = -1;
  }
  if (error_fd >= 0) ::close(error_fd);
  ExitRecord rec;
  ExitStatus es = exit_status_from_wait(wait_status);
  rec.exit_code = es.exit_code;
  rec.signal = es.signal;
  if (es.signal) rec.signal_name = signal_name(es.signal);
  if (!cfg.oom_counter_file.empty()) {
    if (auto t = read_file(cfg.oom_counter_file)) rec.oom_killed = parse_oom_kill_count(*t) > cfg.oom_kills_before;
  }
  rec.finished_at = now_rfc3339();
  if (!cfg.exit_path.empty()) ECSD_TRY(write_file_replace(cfg.exit_path, exit_to_json(rec), cfg.durable));
  return rec;
}

}  // namespace ecsd::runtime
