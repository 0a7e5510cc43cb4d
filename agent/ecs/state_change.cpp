#include "agent/ecs/state_change.h"

namespace ecsd::ecs {

namespace {

std::string cut(const std::string& s) { return s.size() > kMaxReasonLength ? s.substr(0, kMaxReasonLength) : s; }

nlohmann::json bindings_json(const std::vector<NetworkBinding>& b) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& x : b)
    arr.push_back({{"bindIP", x.bind_ip}, {"containerPort", x.container_port}, {"hostPort", x.host_port},
                   {"protocol", x.protocol}});
  return arr;
}

}  // namespace

nlohmann::json task_state_change_body(const TaskChange& c) {
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& ct : c.containers) {
    nlohmann::json o{{"containerName", ct.name},
                     {"imageDigest", ct.image_digest},
                     {"networkBindings", bindings_json(ct.bindings)},
                     {"runtimeId", ct.runtime_id},
                     {"status", ct.status}};
    if (ct.exit_code) o["exitCode"] = *ct.exit_code;
    if (!ct.reason.empty()) o["reason"] = cut(ct.reason);
    if (ct.image_digest.empty()) o.erase("imageDigest");
    containers.push_back(o);
  }
  nlohmann::json body{{"cluster", c.cluster},
                      {"containers", containers},
                      {"reason", cut(c.reason)},
                      {"status", c.status},
                      {"task", c.task_arn}};
  if (c.pull_started_at) body["pullStartedAt"] = *c.pull_started_at;
  if (c.pull_stopped_at) body["pullStoppedAt"] = *c.pull_stopped_at;
  if (c.execution_stopped_at) body["executionStoppedAt"] = *c.execution_stopped_at;
  return body;
}

nlohmann::json container_state_change_body(const std::string& cluster, const std::string& task_arn,
                                           const ContainerChange& c) {
  nlohmann::json body{{"cluster", cluster},
                      {"containerName", c.name},
                      {"networkBindings", bindings_json(c.bindings)},
                      {"runtimeId", c.runtime_id},
                      {"status", c.status},
                      {"task", task_arn}};
  if (c.exit_code) body["exitCode"] = *c.exit_code;
  if (!c.reason.empty()) body["reason"] = cut(c.reason);
  return body;
}

}  // namespace ecsd::ecs
