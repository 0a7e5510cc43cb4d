// Container and task status as ECS names them, the allowed transitions, the
// task status derived from its containers, and stop reasons worded as ECS
// words them. Pure logic.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::task {

// Ordered: a container only moves forward. STOPPED is terminal.
enum class ContainerStatus { none, pulled, created, running, stopped };
// What ECS is told: PENDING until every container runs, then RUNNING, then
// STOPPED when every container has stopped.
enum class TaskStatus { pending, running, stopped };
enum class HealthStatus { unknown, healthy, unhealthy };

std::string_view to_string(ContainerStatus s);  // "NONE", "PULLED", ...
std::string_view to_string(TaskStatus s);       // "PENDING", "RUNNING", "STOPPED"
std::string_view to_string(HealthStatus s);     // "UNKNOWN", "HEALTHY", "UNHEALTHY"
std::optional<ContainerStatus> container_status_from_string(std::string_view s);

// Forward moves (skipping steps allowed: NONE -> STOPPED when a pull fails,
// RUNNING -> STOPPED on exit); never backwards, never out of STOPPED,
// never to the same status.
bool transition_allowed(ContainerStatus from, ContainerStatus to);
// Desired status is RUNNING or STOPPED only, and only RUNNING -> STOPPED.
bool desired_transition_allowed(ContainerStatus from, ContainerStatus to);

// One container's known and desired status, with how it ended.
struct ContainerState {
  std::string name;
  bool essential = true;
  ContainerStatus known = ContainerStatus::none;
  ContainerStatus desired = ContainerStatus::running;
  std::optional<int> exit_code;
  std::string reason;  // "OutOfMemoryError: Container killed due to memory usage"

  // Records a new known status; fails (naming both statuses) when not allowed.
  Status move_to(ContainerStatus next);
};

// Task status from its containers' known statuses: STOPPED when all have
// stopped, RUNNING when none is before RUNNING (stopped non-essential
// containers do not hold a task back), PENDING otherwise.
TaskStatus derive_task_status(const std::vector<ContainerState>& containers);

// When an essential container has stopped the whole task must stop: returns
// the task's stoppedReason ("Essential container in task exited"), else nullopt.
std::optional<std::string> essential_stop_reason(const std::vector<ContainerState>& containers);

// True when every container's desired status should become STOPPED: the
// task's desired status is STOPPED or an essential container has stopped.
bool task_should_stop(const std::vector<ContainerState>& containers, TaskStatus task_desired);

// Reasons as ECS words them.
inline constexpr std::string_view kEssentialContainerExited = "Essential container in task exited";
inline constexpr std::string_view kOutOfMemory = "OutOfMemoryError: Container killed due to memory usage";
inline constexpr std::string_view kTaskStoppedByUser = "Task stopped by user";
std::string cannot_pull_reason(std::string_view detail);    // "CannotPullContainerError: <detail>"
std::string cannot_create_reason(std::string_view detail);  // "CannotCreateContainerError: <detail>"
std::string cannot_start_reason(std::string_view detail);   // "CannotStartContainerError: <detail>"
std::string cannot_stop_reason(std::string_view detail);    // "CannotStopContainerError: <detail>"
// A dependency that can never be satisfied; the container never starts:
// "CannotStartContainerError: dependency <detail>".
std::string dependency_failed_reason(std::string_view detail);

}  // namespace ecsd::task
