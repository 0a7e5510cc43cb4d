#include "agent/acs/protocol.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "agent/aws/crypto.h"

namespace ecsd::acs {

namespace {

std::string new_message_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int> d(0, 15);
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += "0123456789abcdef"[d(rng)];
  }
  return s;
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

std::string frame(std::string_view type, const nlohmann::json& message) {
  return nlohmann::json{{"type", std::string(type)}, {"message", message}}.dump();
}

Protocol::Protocol(std::string cluster, std::string container_instance_arn, SessionHandler& handler)
    : cluster_(std::move(cluster)), instance_(std::move(container_instance_arn)), handler_(handler) {}

Outcome Protocol::handle(std::string_view text) {
  Outcome out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    out.note = "ignored a frame that is not {\"type\",\"message\"} JSON";
    return out;
  }
  std::string type = j["type"];
  const nlohmann::json msg = j.contains("message") ? j["message"] : nlohmann::json::object();
  std::string id = str(msg, "messageId");

  if (type == "HeartbeatMessage") {
    out.replies.push_back(frame("HeartbeatAckRequest", {{"messageId", id}}));
  } else if (type == "PayloadMessage") {
    if (!recent_set_.count(id)) {
      std::vector<nlohmann::json> tasks;
      if (msg.contains("tasks") && msg["tasks"].is_array())
        for (const auto& t : msg["tasks"]) tasks.push_back(t);
      handler_.on_tasks(tasks);
      ++payloads_;
      recent_ids_.push_back(id);
      recent_set_.insert(id);
      if (recent_ids_.size() > 1000) {
        recent_set_.erase(recent_ids_.front());
        recent_ids_.pop_front();
      }
      out.note = "PayloadMessage " + id + " with " + std::to_string(tasks.size()) + " task(s)";
    } else {
      out.note = "PayloadMessage " + id + " again (already handled): acknowledged";
    }
    if (msg.contains("seqNum") && msg["seqNum"].is_number_integer())
      seq_num_ = std::max<int64_t>(seq_num_, msg["seqNum"].get<int64_t>());
    out.replies.push_back(frame("AckRequest", {{"cluster", cluster_}, {"containerInstance", instance_}, {"messageId", id}}));
  } else if (type == "TaskManifestMessage") {
    out.replies.push_back(frame("AckRequest", {{"cluster", cluster_}, {"containerInstance", instance_}, {"messageId", id}}));
    std::map<std::string, std::string> manifest;
    if (msg.contains("tasks") && msg["tasks"].is_array())
      for (const auto& t : msg["tasks"]) manifest[str(t, "taskArn")] = str(t, "desiredStatus");
    nlohmann::json candidates = nlohmann::json::array();
    for (const auto& arn : handler_.running_task_arns()) {
      auto it = manifest.find(arn);
      if (it == manifest.end() || it->second == "STOPPED")
        candidates.push_back({{"taskArn", arn}, {"taskClusterArn", str(msg, "clusterArn")}, {"desiredStatus", "STOPPED"}});
    }
    if (!candidates.empty())
      out.replies.push_back(
          frame("TaskStopVerificationMessage", {{"messageId", new_message_id()}, {"stopCandidates", candidates}}));
    out.note = "TaskManifestMessage: " + std::to_string(candidates.size()) + " stop candidate(s)";
  } else if (type == "TaskStopVerificationAck") {
    std::vector<std::string> arns;
    if (msg.contains("stopTasks") && msg["stopTasks"].is_array())
      for (const auto& t : msg["stopTasks"]) arns.push_back(str(t, "taskArn"));
    if (!arns.empty()) handler_.stop_tasks(arns);
    out.note = "TaskStopVerificationAck: stopping " + std::to_string(arns.size()) + " task(s)";
  } else if (type == "IAMRoleCredentialsMessage") {
    nlohmann::json creds = msg.contains("roleCredentials") ? msg["roleCredentials"] : nlohmann::json::object();
    out.replies.push_back(frame("IAMRoleCredentialsAckRequest", {{"messageId", id},
                                                                 {"expiration", str(creds, "expiration")},
                                                                 {"credentialsId", str(creds, "credentialsId")}}));
    out.note = "IAMRoleCredentialsMessage acknowledged (task IAM roles are not supported)";
  } else if (type == "CloseMessage") {
    out.next = Next::reconnect;
    out.note = "CloseMessage: " + str(msg, "message");
  } else if (type == "InactiveInstanceException" || type == "InvalidInstanceException") {
    out.next = Next::inactive;
    out.note = type + ": " + str(msg, "message");
  } else if (type == "ErrorMessage" || type == "ServerException" || type == "BadRequestException" ||
             type == "AccessDeniedException" || type == "InvalidClusterException") {
    out.next = Next::reconnect_backoff;
    out.note = type + ": " + str(msg, "message");
  } else {
    out.note = "ignored message type " + type;
  }
  return out;
}

std::string acs_url(std::string endpoint, const std::string& cluster, const std::string& container_instance_arn,
                    const std::string& agent_version, const std::string& agent_hash, const std::string& docker_version,
                    int64_t seq_num, bool send_credentials) {
  if (endpoint.rfind("https://", 0) == 0) endpoint = "wss://" + endpoint.substr(8);
  else if (endpoint.rfind("http://", 0) == 0) endpoint = "ws://" + endpoint.substr(7);
  else if (endpoint.find("://") == std::string::npos) endpoint = "wss://" + endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  std::map<std::string, std::string> q{{"agentHash", agent_hash},
                                       {"agentVersion", agent_version},
                                       {"clusterArn", cluster},
                                       {"containerInstanceArn", container_instance_arn},
                                       {"dockerVersion", docker_version},
                                       {"protocolVersion", "2"},
                                       {"sendCredentials", send_credentials ? "true" : "false"},
                                       {"seqNum", std::to_string(seq_num)}};
  std::string query;
  for (const auto& [k, v] : q) query += (query.empty() ? "" : "&") + aws::uri_encode(k) + "=" + aws::uri_encode(v);
  return endpoint + "/ws?" + query;
}

}  // namespace ecsd::acs
