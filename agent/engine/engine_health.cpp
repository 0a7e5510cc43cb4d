// Container health checks as ECS runs them: the command is executed inside
// the container (ecsd-shim exec) every interval; a run longer than timeout
// fails; `retries` consecutive failures make the container UNHEALTHY, one
// success makes it HEALTHY; failures during startPeriod do not count until
// the first success. The last output (first 1 KiB) and exit code are kept.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/engine/engine_impl.h"
#include "agent/engine/spawn.h"

namespace ecsd::engine {

namespace {

constexpr size_t kMaxHealthOutput = 1024;

void drain(HealthRun& run) {
  if (!run.out) return;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(run.out.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) run.out.reset();
      return;
    }
    if (run.output.size() < kMaxHealthOutput)
      run.output.append(buf, std::min(static_cast<size_t>(n), kMaxHealthOutput - run.output.size()));
  }
}

}  // namespace

void Engine::Impl::stop_health(const std::string& rid) {
  auto it = health.find(rid);
  if (it == health.end()) return;
  if (it->second.run && it->second.run->pid > 0) {
    ::kill(it->second.run->pid, SIGKILL);
    while (::waitpid(it->second.run->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  health.erase(it);
}

void Engine::Impl::step_health(TaskRecord& t, ContainerRecord& c, std::vector<StateChange>& ev) {
  auto hit = health.find(c.runtime_id);
  if (hit == health.end() || c.stop_sent_at_ms) return;
  const task::ContainerModel* m = model_of(t, c.name);
  if (!m || !m->health_check) return;
  const task::HealthCheck& hc = *m->health_check;
  HealthState& h = hit->second;
  int64_t now = now_ms();
  if (!h.run) {
    if (now < h.next_at_ms) return;
    std::vector<std::string> argv = {cfg.bin_dir + "/ecsd-shim", "exec", "--root", rt.root(), "--id", c.runtime_id,
                                     "--"};
    if (hc.command.empty()) return;
    if (hc.command[0] == "CMD-SHELL") {
      std::string script;
      for (size_t i = 1; i < hc.command.size(); ++i) script += (i > 1 ? " " : "") + hc.command[i];
      argv.insert(argv.end(), {"/bin/sh", "-c", script});
    } else {
      size_t start = hc.command[0] == "CMD" ? 1 : 0;
      argv.insert(argv.end(), hc.command.begin() + static_cast<long>(start), hc.command.end());
    }
    auto pipe = make_pipe();
    if (!pipe) return;
    ::fcntl(pipe->first.get(), F_SETFL, O_NONBLOCK);
    SpawnRequest sr;
    sr.argv = std::move(argv);
    sr.stdout_fd = pipe->second.get();
    auto pid = spawn_process(sr);
    if (!pid) {
      h.next_at_ms = now + hc.interval_s * 1000;
      return;
    }
    HealthRun run;
    run.pid = *pid;
    run.pidfd = open_pidfd(*pid);
    run.out = std::move(pipe->first);
    run.deadline_ms = now + hc.timeout_s * 1000;
    h.run = std::move(run);
    return;
  }
  HealthRun& run = *h.run;
  drain(run);
  int status = 0;
  pid_t r = ::waitpid(run.pid, &status, WNOHANG);
  int exit_code;
  bool timed_out = false;
  if (r == run.pid) {
    drain(run);
    exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else if (now >= run.deadline_ms) {
    ::kill(run.pid, SIGKILL);
    while (::waitpid(run.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    timed_out = true;
    exit_code = -1;
  } else {
    return;
  }
  std::string output = timed_out ? "health check timed out after " + std::to_string(hc.timeout_s) + "s" : run.output;
  h.run.reset();
  h.next_at_ms = now + hc.interval_s * 1000;
  c.health_output = output;
  c.health_exit_code = exit_code;
  c.health_at_ms = now;
  task::HealthStatus next = c.health;
  if (exit_code == 0) {
    h.failures = 0;
    next = task::HealthStatus::healthy;
    c.ever_healthy = true;
  } else {
    bool in_start_period = !c.ever_healthy && now < c.started_at_ms + hc.start_period_s * 1000;
    if (!in_start_period && ++h.failures >= hc.retries) next = task::HealthStatus::unhealthy;
  }
  if (next != c.health) {
    c.health = next;
    StateChange e = container_event(t, c);
    e.health = std::string(task::to_string(next));
    ev.push_back(std::move(e));
  }
}

}  // namespace ecsd::engine
