// What the engine records about tasks and containers (persisted in SQLite,
// store.h) and the state changes it reports (engine.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/task/model.h"
#include "agent/task/state.h"

namespace ecsd::engine {

enum class SourceKind { task_definition, acs };
std::string_view to_string(SourceKind k);  // "task-definition" | "acs"

struct NetworkBinding {
  std::string bind_ip;  // "0.0.0.0"
  int container_port = 0;
  int host_port = 0;
  std::string protocol = "tcp";
  bool operator==(const NetworkBinding&) const = default;
};

struct ContainerRecord {
  std::string name;
  std::string runtime_id;  // runtime state id: "<task id>-<name>"
  task::ContainerStatus known = task::ContainerStatus::none;
  task::ContainerStatus desired = task::ContainerStatus::running;
  bool essential = true;
  std::optional<int> exit_code;
  std::string reason;
  task::HealthStatus health = task::HealthStatus::unknown;
  bool ever_healthy = false;
  std::string health_output;            // last check's output (first 1 KiB)
  std::optional<int> health_exit_code;  // last check's exit code
  int64_t health_at_ms = 0;
  pid_t pid = 0;        // container init pid (host)
  pid_t shim_pid = 0;
  std::string image_ref;     // normalized reference
  std::string image_digest;  // manifest digest
  bool rootfs_mounted = false;
  int64_t created_at_ms = 0, started_at_ms = 0, finished_at_ms = 0;
  int64_t stop_sent_at_ms = 0;  // first stop signal sent (stop timeout runs from here)
  std::vector<NetworkBinding> bindings;
  bool operator==(const ContainerRecord&) const = default;
};

struct TaskRecord {
  std::string id;  // 32 hex digits
  std::string arn;
  SourceKind source = SourceKind::task_definition;
  std::string source_json;  // the input it was submitted with (re-parsed on load)
  task::Task model;         // not stored: parsed from source_json
  task::TaskStatus known = task::TaskStatus::pending;
  task::TaskStatus desired = task::TaskStatus::running;
  std::string stopped_reason;
  int64_t created_at_ms = 0, started_at_ms = 0, stopping_at_ms = 0, stopped_at_ms = 0;
  std::vector<ContainerRecord> containers;

  ContainerRecord* find(std::string_view name);
  const ContainerRecord* find(std::string_view name) const;
};

// One state change, as reported to the control plane: a container changed
// its known status (or health), or the task did. Exactly-once per change:
// changes are committed in the same transaction as the status they report.
struct StateChange {
  uint64_t seq = 0;
  int64_t at_ms = 0;
  std::string task_id;
  std::string task_arn;
  std::string container;  // empty: a task state change
  std::string status;     // container: "PULLED","CREATED","RUNNING","STOPPED"; task: "PENDING","RUNNING","STOPPED"
  std::string health;     // container health change: "HEALTHY"/"UNHEALTHY"; else empty
  std::optional<int> exit_code;
  std::string reason;
  std::vector<NetworkBinding> bindings;
  bool operator==(const StateChange&) const = default;
};

int64_t now_ms();
std::string new_task_id();  // 32 random hex digits

}  // namespace ecsd::engine
