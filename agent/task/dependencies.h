// dependsOn semantics: start and stop order, and whether a container may start
// now given what is known about the others. Pure logic over the model.
//
// Conditions (as ECS defines them):
//   START    the dependency has been started (RUNNING, or it ran and exited)
//   COMPLETE the dependency has exited (any exit code)
//   SUCCESS  the dependency has exited with code 0
//   HEALTHY  the dependency's health check reports HEALTHY
// A container may stop only after the containers that depend on it have
// stopped (reverse dependency order).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/task/model.h"
#include "agent/task/state.h"

namespace ecsd::task {

// A dependency cycle as container names, first repeated at the end:
// {"a", "b", "a"}. Empty when there is none. Dependencies on unknown names
// are skipped (validate_task reports them).
std::vector<std::string> find_dependency_cycle(const Task& task);

// Container indices in an order that starts every dependency before its
// dependents; among independent containers the definition order is kept.
// Fails on a cycle or an unknown dependency.
Result<std::vector<size_t>> start_order(const Task& task);
// The reverse of start_order: dependents stop before their dependencies.
Result<std::vector<size_t>> stop_order(const Task& task);

// What the engine knows about one container at a moment.
struct ContainerView {
  ContainerStatus known = ContainerStatus::none;
  std::optional<int> exit_code;  // set once it has exited
  HealthStatus health = HealthStatus::unknown;
  bool ever_healthy = false;     // reported HEALTHY at least once
};

enum class Readiness {
  ready,    // every dependency is satisfied
  waiting,  // some dependency may still become satisfied
  never,    // some dependency can no longer be satisfied
};

struct StartDecision {
  Readiness readiness = Readiness::ready;
  std::string reason;  // for waiting/never: "waiting for web to be HEALTHY", ...
};

// Missing entries in `views` count as a container in status NONE.
StartDecision can_start(const ContainerModel& container, const std::map<std::string, ContainerView>& views);
// True when no container that depends on `name` is still RUNNING (dependents
// that never started hold nothing up; the engine does not start them once
// the task is stopping).
bool can_stop(const Task& task, const std::string& name, const std::map<std::string, ContainerView>& views);

}  // namespace ecsd::task
