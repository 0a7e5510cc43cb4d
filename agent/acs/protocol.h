// The ACS message protocol, without the socket: frames are
// {"type": "...", "message": {...}} JSON texts. handle() takes one incoming
// frame and returns the frames to send back and what the session should do
// next. Pure logic; session.cpp moves the frames.
//
//   HeartbeatMessage          -> HeartbeatAckRequest{messageId}
//   PayloadMessage            -> handler.on_tasks(tasks), then
//                                AckRequest{cluster, containerInstance, messageId};
//                                seqNum remembered (sent on the next connect)
//   TaskManifestMessage       -> AckRequest; tasks running here but absent
//                                from the manifest (or STOPPED in it) ->
//                                TaskStopVerificationMessage{stopCandidates}
//   TaskStopVerificationAck   -> handler.stop_tasks(stopTasks)
//   IAMRoleCredentialsMessage -> IAMRoleCredentialsAckRequest (task roles are
//                                not supported; acknowledged so ACS stops resending)
//   CloseMessage              -> reconnect
//   ErrorMessage, ServerException, BadRequestException, ... -> reconnect with backoff
//   InactiveInstanceException, InvalidInstanceException -> long back-off
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ecsd::acs {

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // The tasks of one PayloadMessage, in order (ACS Task objects: arn,
  // desiredStatus, containers, ...). Must be idempotent: ACS re-sends
  // payloads that were not acknowledged.
  virtual void on_tasks(const std::vector<nlohmann::json>& tasks) = 0;
  // ARNs of the tasks this agent runs now (not stopped).
  virtual std::vector<std::string> running_task_arns() = 0;
  // Stop these tasks (verified with ACS).
  virtual void stop_tasks(const std::vector<std::string>& arns) = 0;
};

enum class Next { stay, reconnect, reconnect_backoff, inactive };

struct Outcome {
  std::vector<std::string> replies;
  Next next = Next::stay;
  std::string note;  // for the log: "CloseMessage: ConnectionExpired"
};

class Protocol {
 public:
  Protocol(std::string cluster, std::string container_instance_arn, SessionHandler& handler);
  Outcome handle(std::string_view frame);
  int64_t seq_num() const { return seq_num_; }
  void set_seq_num(int64_t s) { seq_num_ = s; }
  uint64_t payloads() const { return payloads_; }

 private:
  std::string cluster_, instance_;
  SessionHandler& handler_;
  int64_t seq_num_ = 1;
  uint64_t payloads_ = 0;
  std::deque<std::string> recent_ids_;  // payload messageIds already handled
  std::set<std::string> recent_set_;
};

// The websocket URL for an ACS endpoint as DiscoverPollEndpoint returns it
// ("https://ecs-a-1.us-east-1.amazonaws.com/"): scheme http(s) -> ws(s),
// path /ws, and the query parameters the Go agent sends, sorted by name.
std::string acs_url(std::string endpoint, const std::string& cluster, const std::string& container_instance_arn,
                    const std::string& agent_version, const std::string& agent_hash, const std::string& docker_version,
                    int64_t seq_num, bool send_credentials);

std::string frame(std::string_view type, const nlohmann::json& message);

}  // namespace ecsd::acs
