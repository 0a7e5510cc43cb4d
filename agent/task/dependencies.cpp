#include "agent/task/dependencies.h"

#include <functional>

namespace ecsd::task {

namespace {

std::optional<size_t> index_of(const Task& task, const std::string& name) {
  for (size_t i = 0; i < task.containers.size(); ++i)
    if (task.containers[i].name == name) return i;
  return std::nullopt;
}

}  // namespace

std::vector<std::string> find_dependency_cycle(const Task& task) {
  const size_t n = task.containers.size();
  enum Mark { white, grey, black };
  std::vector<Mark> mark(n, white);
  std::vector<size_t> stack;
  std::vector<std::string> cycle;

  std::function<bool(size_t)> visit = [&](size_t i) -> bool {
    mark[i] = grey;
    stack.push_back(i);
    for (const auto& d : task.containers[i].depends_on) {
      auto j = index_of(task, d.container_name);
      if (!j) continue;
      if (mark[*j] == grey) {
        size_t k = 0;
        while (stack[k] != *j) ++k;
        for (; k < stack.size(); ++k) cycle.push_back(task.containers[stack[k]].name);
        cycle.push_back(task.containers[*j].name);
        return true;
      }
      if (mark[*j] == white && visit(*j)) return true;
    }
    stack.pop_back();
    mark[i] = black;
    return false;
  };
  for (size_t i = 0; i < n; ++i)
    if (mark[i] == white && visit(i)) return cycle;
  return {};
}

Result<std::vector<size_t>> start_order(const Task& task) {
  const size_t n = task.containers.size();
  for (const auto& c : task.containers)
    for (const auto& d : c.depends_on)
      if (!index_of(task, d.container_name))
        return fail_invalid("container " + c.name + " depends on unknown container " + d.container_name);
  auto cycle = find_dependency_cycle(task);
  if (!cycle.empty()) {
    std::string s;
    for (size_t i = 0; i < cycle.size(); ++i) s += (i ? " -> " : "") + cycle[i];
    return fail_invalid("dependency cycle " + s);
  }
  // Kahn's algorithm, always taking the lowest ready index: definition order
  // is kept wherever dependencies allow.
  std::vector<size_t> remaining(n, 0);
  for (size_t i = 0; i < n; ++i) remaining[i] = task.containers[i].depends_on.size();
  std::vector<bool> done(n, false);
  std::vector<size_t> order;
  while (order.size() < n) {
    size_t pick = n;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      bool ready = true;
      for (const auto& d : task.containers[i].depends_on)
        if (!done[*index_of(task, d.container_name)]) ready = false;
      if (ready) {
        pick = i;
        break;
      }
    }
    if (pick == n) return fail_invalid("dependency cycle");  // unreachable after the check above
    done[pick] = true;
    order.push_back(pick);
  }
  return order;
}

Result<std::vector<size_t>> stop_order(const Task& task) {
  auto order = start_order(task);
  if (!order) return order;
  return std::vector<size_t>(order->rbegin(), order->rend());
}

namespace {

// One dependency: satisfied, waiting or never, with a short reason.
Readiness check(const ContainerDependency& d, const ContainerView& v, std::string& why) {
  const std::string& name = d.container_name;
  const bool stopped = v.known == ContainerStatus::stopped;
  switch (d.condition) {
    case DependencyCondition::start:
      if (v.known == ContainerStatus::running || (stopped && v.exit_code)) return Readiness::ready;
      if (stopped) {
        why = name + " stopped without starting";
        return Readiness::never;
      }
      why = "waiting for " + name + " to start";
      return Readiness::waiting;
    case DependencyCondition::complete:
      if (stopped) return Readiness::ready;
      why = "waiting for " + name + " to complete";
      return Readiness::waiting;
    case DependencyCondition::success:
      if (stopped && v.exit_code == 0) return Readiness::ready;
      if (stopped) {
        why = v.exit_code ? name + " exited with code " + std::to_string(*v.exit_code) + ", SUCCESS needs 0"
                          : name + " stopped without running, SUCCESS needs exit code 0";
        return Readiness::never;
      }
      why = "waiting for " + name + " to exit successfully";
      return Readiness::waiting;
    case DependencyCondition::healthy:
      if (!stopped && v.health == HealthStatus::healthy) return Readiness::ready;
      if (stopped && v.ever_healthy) return Readiness::ready;  // it was HEALTHY; ECS does not revoke it
      if (stopped) {
        why = name + " stopped without becoming HEALTHY";
        return Readiness::never;
      }
      why = "waiting for " + name + " to be HEALTHY";
      return Readiness::waiting;
  }
  return Readiness::waiting;
}

}  // namespace

StartDecision can_start(const ContainerModel& container, const std::map<std::string, ContainerView>& views) {
  StartDecision out;
  std::vector<std::string> waiting;
  for (const auto& d : container.depends_on) {
    auto it = views.find(d.container_name);
    ContainerView v = it == views.end() ? ContainerView{} : it->second;
    std::string why;
    Readiness r = check(d, v, why);
    if (r == Readiness::never) return StartDecision{Readiness::never, why};
    if (r == Readiness::waiting) waiting.push_back(why);
  }
  if (!waiting.empty()) {
    out.readiness = Readiness::waiting;
    for (size_t i = 0; i < waiting.size(); ++i) out.reason += (i ? "; " : "") + waiting[i];
  }
  return out;
}

bool can_stop(const Task& task, const std::string& name, const std::map<std::string, ContainerView>& views) {
  for (const auto& c : task.containers) {
    bool depends = false;
    for (const auto& d : c.depends_on)
      if (d.container_name == name) depends = true;
    if (!depends) continue;
    auto it = views.find(c.name);
    ContainerStatus st = it == views.end() ? ContainerStatus::none : it->second.known;
    // A dependent that never got past NONE/PULLED/CREATED holds no process;
    // only a running dependent must stop first.
    if (st == ContainerStatus::running) return false;
  }
  return true;
}

}  // namespace ecsd::task
