// The engine's reconcile step: moves each container toward its desired
// status, one task at a time, and derives the task's status.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "agent/engine/engine_impl.h"
#include "agent/engine/spawn.h"
#include "agent/task/dependencies.h"
#include "runtime/lifecycle.h"

namespace ecsd::engine {

namespace {

// State changes kept after their tasks are cleaned up (for late followers).
constexpr size_t kKeepEvents = 20000;

std::vector<task::ContainerState> states_of(const TaskRecord& t) {
  std::vector<task::ContainerState> out;
  for (const auto& c : t.containers) {
    task::ContainerState s;
    s.name = c.name;
    s.essential = c.essential;
    s.known = c.known;
    s.desired = c.desired;
    s.exit_code = c.exit_code;
    s.reason = c.reason;
    out.push_back(std::move(s));
  }
  return out;
}

std::map<std::string, task::ContainerView> views_of(const TaskRecord& t) {
  std::map<std::string, task::ContainerView> v;
  for (const auto& c : t.containers) v[c.name] = {c.known, c.exit_code, c.health, c.ever_healthy};
  return v;
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

}  // namespace

void Engine::Impl::step_all() {
  for (auto& [th, done] : pull_threads)
    if (done->load() && th.joinable()) th.join();
  std::erase_if(pull_threads, [](const auto& p) { return !p.first.joinable(); });
  apply_pull_results();
  std::vector<std::string> ids = order;
  for (const auto& id : ids) {
    auto it = tasks.find(id);
    if (it == tasks.end()) continue;
    std::vector<StateChange> ev;
    step(it->second, ev);
    if (tasks.count(id)) commit(it->second, ev);
  }
  std::erase_if(order, [&](const std::string& id) { return !tasks.count(id); });
  if (now_ms() >= next_rotate_ms) next_rotate_ms = now_ms() + 2000;
}

void Engine::Impl::apply_pull_results() {
  std::vector<PullResult> results;
  results.swap(pull_results);
  for (auto& r : results) {
    auto it = tasks.find(r.task_id);
    if (it == tasks.end()) continue;
    TaskRecord& t = it->second;
    ContainerRecord* c = t.find(r.container);
    if (!c) continue;
    pulling.erase(c->runtime_id);
    std::vector<StateChange> ev;
    if (c->known != task::ContainerStatus::none) continue;
    if (!r.image) {
      set_stopped(t, *c, std::nullopt, task::cannot_pull_reason(r.image.error().message), ev);
    } else {
      c->image_ref = r.image->reference;
      c->image_digest = r.image->manifest_digest;
      ready_images[c->runtime_id] = std::move(*r.image);
      c->known = task::ContainerStatus::pulled;
      ev.push_back(container_event(t, *c));
    }
    commit(t, ev);
  }
}

void Engine::Impl::set_stopped(TaskRecord& t, ContainerRecord& c, std::optional<int> code, std::string reason,
                               std::vector<StateChange>& ev) {
  if (c.known == task::ContainerStatus::stopped) return;
  c.known = task::ContainerStatus::stopped;
  c.desired = task::ContainerStatus::stopped;
  c.exit_code = code;
  if (c.reason.empty()) c.reason = std::move(reason);
  c.finished_at_ms = now_ms();
  watches.erase(c.runtime_id);
  stop_health(c.runtime_id);
  kill_sent.erase(c.runtime_id);
  wait_since.erase(c.runtime_id);
  ready_images.erase(c.runtime_id);
  ev.push_back(container_event(t, c));
}

void Engine::Impl::check_exit(TaskRecord& t, ContainerRecord& c, std::vector<StateChange>& ev) {
  if (c.known != task::ContainerStatus::created && c.known != task::ContainerStatus::running) return;
  // With a pidfd on the shim, its exit is the signal: the shim records the
  // exit status before it exits, so exit.json is not read on every step.
  auto w = watches.find(c.runtime_id);
  if (w != watches.end() && !readable(w->second.get())) return;
  auto ex = rt.read_exit(c.runtime_id);
  if (ex && *ex) {
    const auto& rec = **ex;
    std::string reason;
    if (rec.oom_killed) reason = std::string(task::kOutOfMemory);
    set_stopped(t, c, rec.exit_code, reason, ev);
    return;
  }
  bool gone = w != watches.end() || !process_is(c.shim_pid, "ecsd-shim");
  if (!gone) return;
  ex = rt.read_exit(c.runtime_id);
  if (ex && *ex) {
    set_stopped(t, c, (*ex)->exit_code, (*ex)->oom_killed ? std::string(task::kOutOfMemory) : "", ev);
    return;
  }
  set_stopped(t, c, std::nullopt, "ecsd-shim of the container is gone and recorded no exit status", ev);
}

void Engine::Impl::step(TaskRecord& t, std::vector<StateChange>& ev) {
  int64_t now = now_ms();
  if (t.known == task::TaskStatus::stopped) {
    if (now >= t.stopped_at_ms + cfg.cleanup_wait_ms) cleanup(t);
    return;
  }
  // Exits first: they drive everything else.
  for (auto& c : t.containers) check_exit(t, c, ev);

  // Admission against host resources.
  if (!admitted.count(t.id) && t.desired == task::TaskStatus::running) check_bridge_ports(t, ev);
  if (!admitted.count(t.id) && t.desired == task::TaskStatus::running) {
    auto need = task_need(t.model);
    if (auto ok = fits_now(need, used, capacity); !ok) {
      waiting_reason[t.id] = "waiting for host resources: " + ok.error().message;
      return;
    }
    waiting_reason.erase(t.id);
    admitted.insert(t.id);
    used += need;
    setup_bridge(t, ev);  // the task's network before its images are pulled
  }

  // Stop decisions.
  auto states = states_of(t);
  if (t.desired == task::TaskStatus::running) {
    if (auto r = task::essential_stop_reason(states)) {
      t.desired = task::TaskStatus::stopped;
      t.stopping_at_ms = now;
      if (t.stopped_reason.empty()) {
        // A container that never ran explains itself better than "exited".
        for (const auto& c : t.containers)
          if (c.essential && c.known == task::ContainerStatus::stopped && c.started_at_ms == 0 && !c.reason.empty()) {
            t.stopped_reason = c.reason;
            break;
          }
        if (t.stopped_reason.empty()) t.stopped_reason = *r;
      }
    }
  }
  if (t.desired == task::TaskStatus::stopped)
    for (auto& c : t.containers)
      if (c.desired != task::ContainerStatus::stopped) c.desired = task::ContainerStatus::stopped;

  auto views = views_of(t);
  for (auto& c : t.containers) {
    const task::ContainerModel* m = model_of(t, c.name);
    if (!m || c.known == task::ContainerStatus::stopped) continue;
    if (c.desired == task::ContainerStatus::running) {
      switch (c.known) {
        case task::ContainerStatus::none: {
          if (pulling.count(c.runtime_id)) break;
          pulling.insert(c.runtime_id);
          std::string image = m->image, tid = t.id, name = c.name;
          auto done = std::make_shared<std::atomic<bool>>(false);
          std::thread th([this, image, tid, name, done] {
            auto r = images->ensure(image);
            std::lock_guard g(mu);
            pull_results.push_back({tid, name, std::move(r)});
            done->store(true);
            wake();
          });
          pull_threads.emplace_back(std::move(th), done);
          break;
        }
        case task::ContainerStatus::pulled: {
          auto d = task::can_start(*m, views);
          if (d.readiness == task::Readiness::never) {
            set_stopped(t, c, std::nullopt, task::dependency_failed_reason(d.reason), ev);
            break;
          }
          if (d.readiness == task::Readiness::waiting) {
            auto [it, fresh] = wait_since.try_emplace(c.runtime_id, now);
            int64_t limit = m->start_timeout_s ? *m->start_timeout_s * 1000 : cfg.default_start_timeout_ms;
            if (limit > 0 && now - it->second > limit)
              set_stopped(t, c, std::nullopt,
                          task::dependency_failed_reason(d.reason + " (startTimeout " + std::to_string(limit / 1000) +
                                                         "s exceeded)"),
                          ev);
            break;
          }
          wait_since.erase(c.runtime_id);
          if (auto s = create_container(t, c); !s) {
            set_stopped(t, c, std::nullopt, task::cannot_create_reason(s.error().message), ev);
            break;
          }
          ev.push_back(container_event(t, c));
          [[fallthrough]];
        }
        case task::ContainerStatus::created: {
          if (auto s = start_container(t, c); !s) {
            runtime::delete_container(rt, c.runtime_id, true);
            set_stopped(t, c, std::nullopt, task::cannot_start_reason(s.error().message), ev);
            break;
          }
          ev.push_back(container_event(t, c));
          if (m->health_check && !(m->health_check->command.size() == 1 && m->health_check->command[0] == "NONE"))
            health[c.runtime_id].next_at_ms = now_ms() + m->health_check->interval_s * 1000;
          break;
        }
        case task::ContainerStatus::running:
          step_health(t, c, ev);
          break;
        case task::ContainerStatus::stopped: break;
      }
      views[c.name] = {c.known, c.exit_code, c.health, c.ever_healthy};
    }
  }
  // Stopping, in reverse dependency order.
  for (auto& c : t.containers) {
    const task::ContainerModel* m = model_of(t, c.name);
    if (!m || c.known == task::ContainerStatus::stopped || c.desired != task::ContainerStatus::stopped) continue;
    switch (c.known) {
      case task::ContainerStatus::none:
      case task::ContainerStatus::pulled:
        if (pulling.count(c.runtime_id)) break;  // let the pull finish first
        set_stopped(t, c, std::nullopt, "", ev);
        break;
      case task::ContainerStatus::created:
        if (!kill_sent.count(c.runtime_id)) {
          runtime::kill_container(rt, c.runtime_id, SIGKILL, true);
          kill_sent[c.runtime_id] = now;
        }
        break;
      case task::ContainerStatus::running: {
        if (c.stop_sent_at_ms == 0) {
          if (!task::can_stop(t.model, c.name, views)) break;
          send_stop(t, c);
        } else if (!kill_sent.count(c.runtime_id) && now - c.stop_sent_at_ms >= stop_timeout_ms(cfg, *m)) {
          runtime::kill_container(rt, c.runtime_id, SIGKILL, true);
          kill_sent[c.runtime_id] = now;
        }
        break;
      }
      case task::ContainerStatus::stopped: break;
    }
  }
  rotate_logs(t);

  // Task status.
  auto known = task::derive_task_status(states_of(t));
  if (known != t.known) {
    t.known = known;
    if (known == task::TaskStatus::running && t.started_at_ms == 0) t.started_at_ms = now;
    if (known == task::TaskStatus::stopped) {
      t.stopped_at_ms = now;
      t.desired = task::TaskStatus::stopped;
      if (t.stopped_reason.empty()) {
        auto r = task::essential_stop_reason(states_of(t));
        t.stopped_reason = r ? *r : "All containers in task exited";
      }
      if (admitted.erase(t.id)) used -= task_need(t.model);
      teardown_network(t);
    }
    ev.push_back(task_event(t));
  }
}

int64_t Engine::Impl::next_timer_ms() const {
  int64_t next = 0;
  auto consider = [&](int64_t at) {
    if (at > 0 && (next == 0 || at < next)) next = at;
  };
  for (const auto& [rid, h] : health) {
    consider(h.next_at_ms);
    if (h.run) consider(h.run->deadline_ms);
  }
  for (const auto& [id, t] : tasks) {
    if (t.known == task::TaskStatus::stopped) {
      consider(t.stopped_at_ms + cfg.cleanup_wait_ms);
      continue;
    }
    for (const auto& c : t.containers)
      if (c.stop_sent_at_ms && !kill_sent.count(c.runtime_id))
        if (auto* m = model_of(t, c.name)) consider(c.stop_sent_at_ms + stop_timeout_ms(cfg, *m));
  }
  return next;
}

void Engine::Impl::cleanup(TaskRecord& t) {
  bool ok = true;
  for (auto& c : t.containers) {
    if (rt.exists(c.runtime_id)) {
      if (auto s = runtime::delete_container(rt, c.runtime_id, true); !s) {
        std::fprintf(stderr, "ecsd engine: cleanup %s: %s\n", c.runtime_id.c_str(), s.error().message.c_str());
        ok = false;
      }
    }
    std::string dir = container_dir(t, c);
    if (auto s = unmount_if_mounted(dir + "/rootfs"); !s) {
      std::fprintf(stderr, "ecsd engine: cleanup: %s\n", s.error().message.c_str());
      ok = false;
    }
  }
  if (!ok) {
    t.stopped_at_ms = now_ms();  // try again after another wait
    return;
  }
  std::error_code ec;
  // Never follow into a mount: each rootfs was unmounted above; check again.
  for (auto& c : t.containers) {
    struct stat a {}, b {};
    std::string dir = container_dir(t, c);
    if (::stat((dir + "/rootfs").c_str(), &a) == 0 && ::stat(dir.c_str(), &b) == 0 && a.st_dev != b.st_dev) return;
  }
  std::filesystem::remove_all(task_dir(t.id), ec);
  std::filesystem::remove_all(logs_dir(t.id), ec);
  if (hierarchy)
    if (auto cg = cgroups::Cgroup::open(*hierarchy, "ecsd/" + t.id)) cg->remove();
  std::string id = t.id;
  store->remove(id);
  store->prune_events(kKeepEvents);
  waiting_reason.erase(id);
  tasks.erase(id);
}

}  // namespace ecsd::engine
