#include "agent/task/state.h"

namespace ecsd::task {

std::string_view to_string(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::none: return "NONE";
    case ContainerStatus::pulled: return "PULLED";
    case ContainerStatus::created: return "CREATED";
    case ContainerStatus::running: return "RUNNING";
    case ContainerStatus::stopped: return "STOPPED";
  }
  return "?";
}

std::string_view to_string(TaskStatus s) {
  switch (s) {
    case TaskStatus::pending: return "PENDING";
    case TaskStatus::running: return "RUNNING";
    case TaskStatus::stopped: return "STOPPED";
  }
  return "?";
}

std::string_view to_string(HealthStatus s) {
  switch (s) {
    case HealthStatus::unknown: return "UNKNOWN";
    case HealthStatus::healthy: return "HEALTHY";
    case HealthStatus::unhealthy: return "UNHEALTHY";
  }
  return "?";
}

std::optional<ContainerStatus> container_status_from_string(std::string_view s) {
  for (auto st : {ContainerStatus::none, ContainerStatus::pulled, ContainerStatus::created,
                  ContainerStatus::running, ContainerStatus::stopped})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

bool transition_allowed(ContainerStatus from, ContainerStatus to) {
  return static_cast<int>(to) > static_cast<int>(from);
}

bool desired_transition_allowed(ContainerStatus from, ContainerStatus to) {
  return from == ContainerStatus::running && to == ContainerStatus::stopped;
}

Status ContainerState::move_to(ContainerStatus next) {
  if (!transition_allowed(known, next))
    return fail_invalid("container " + name + ": status " + std::string(to_string(known)) + " -> " +
                        std::string(to_string(next)) + " is not allowed");
  known = next;
  return {};
}

TaskStatus derive_task_status(const std::vector<ContainerState>& containers) {
  if (containers.empty()) return TaskStatus::pending;
  bool all_stopped = true;
  bool any_before_running = false;
  bool any_running = false;
  for (const auto& c : containers) {
    if (c.known != ContainerStatus::stopped) all_stopped = false;
    if (c.known == ContainerStatus::running) any_running = true;
    if (static_cast<int>(c.known) < static_cast<int>(ContainerStatus::running)) any_before_running = true;
  }
  if (all_stopped) return TaskStatus::stopped;
  if (!any_before_running && any_running) return TaskStatus::running;
  return TaskStatus::pending;
}

std::optional<std::string> essential_stop_reason(const std::vector<ContainerState>& containers) {
  for (const auto& c : containers)
    if (c.essential && c.known == ContainerStatus::stopped) return std::string(kEssentialContainerExited);
  return std::nullopt;
}

bool task_should_stop(const std::vector<ContainerState>& containers, TaskStatus task_desired) {
  return task_desired == TaskStatus::stopped || essential_stop_reason(containers).has_value();
}

std::string cannot_pull_reason(std::string_view detail) {
  return "CannotPullContainerError: " + std::string(detail);
}
std::string cannot_create_reason(std::string_view detail) {
  return "CannotCreateContainerError: " + std::string(detail);
}
std::string cannot_start_reason(std::string_view detail) {
  return "CannotStartContainerError: " + std::string(detail);
}
std::string cannot_stop_reason(std::string_view detail) {
  return "CannotStopContainerError: " + std::string(detail);
}
std::string dependency_failed_reason(std::string_view detail) {
  return "CannotStartContainerError: dependency " + std::string(detail);
}

}  // namespace ecsd::task
