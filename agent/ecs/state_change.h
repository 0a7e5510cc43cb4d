// SubmitTaskStateChange / SubmitContainerStateChange bodies in the Go agent's
// form (tests/fixtures/controlplane/reference/go-agent-v1.72-state-changes.json):
// containers[] with containerName, runtimeId, imageDigest, networkBindings,
// status and exitCode; pull/execution timestamps as epoch seconds; reasons
// cut to ECS's 255 characters.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ecsd::ecs {

struct NetworkBinding {
  std::string bind_ip = "0.0.0.0";
  int container_port = 0;
  int host_port = 0;
  std::string protocol = "tcp";
};

struct ContainerChange {
  std::string name;
  std::string runtime_id;
  std::string image_digest;
  std::string status;  // "RUNNING" | "STOPPED"
  std::optional<int> exit_code;
  std::string reason;
  std::vector<NetworkBinding> bindings;
};

struct TaskChange {
  std::string cluster;
  std::string task_arn;
  std::string status;  // "RUNNING" | "STOPPED" (the task's status at the time)
  std::string reason;
  std::vector<ContainerChange> containers;
  std::optional<double> pull_started_at, pull_stopped_at, execution_stopped_at;  // epoch seconds
};

inline constexpr size_t kMaxReasonLength = 255;

nlohmann::json task_state_change_body(const TaskChange& c);
nlohmann::json container_state_change_body(const std::string& cluster, const std::string& task_arn,
                                           const ContainerChange& c);

}  // namespace ecsd::ecs
