// The ACS session: discover the endpoint, open a SigV4-signed websocket
// (cpprestsdk client), run the protocol (protocol.h), and reconnect when the
// connection drops, a CloseMessage or error arrives, or no message came for
// the heartbeat timeout. Reconnects back off exponentially with jitter
// (250 ms doubling... up to 2 min, +-20%); a connection that lasted longer than
// the heartbeat timeout resets the backoff; InactiveInstanceException waits
// `inactive_delay` (1 h by default, as the Go agent).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "agent/acs/protocol.h"
#include "agent/aws/credentials.h"
#include "agent/ecs/client.h"

namespace ecsd::acs {

struct SessionOptions {
  std::string cluster;
  std::string container_instance_arn;
  std::string region;
  std::shared_ptr<aws::CredentialsChain> credentials;
  // DiscoverPollEndpoint (cached by the ECS client); invalidate after failures.
  std::function<ecs::ApiResult<ecs::PollEndpoints>()> discover;
  std::function<void()> invalidate_endpoint;
  std::string agent_version = "0.0.0";
  std::string agent_hash = "unknown";
  std::string docker_version = "ecsd";
  bool send_credentials = false;
  std::chrono::milliseconds heartbeat_timeout{60000};
  std::chrono::milliseconds heartbeat_jitter{60000};
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{120000};
  std::chrono::milliseconds inactive_delay{3600000};
  int64_t initial_seq_num = 1;
};

struct SessionStatus {
  bool connected = false;
  uint64_t connections = 0;  // successful upgrades
  uint64_t failures = 0;     // failed connects
  uint64_t payloads = 0;
  int64_t seq_num = 1;
  std::string last_error;
};

class Session {
 public:
  Session(SessionOptions options, SessionHandler& handler);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Blocks until stop().
  void run();
  void stop();
  SessionStatus status() const;

 private:
  enum class End { stopped, dropped, reconnect, backoff, inactive, failed };
  End connect_and_serve();
  void wait_for(std::chrono::milliseconds d);

  SessionOptions opts_;
  SessionHandler& handler_;
  Protocol protocol_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  SessionStatus status_;
};

// Sizes cpprestsdk's thread pool (default 40 threads) once per process.
void init_cpprest_threadpool(size_t threads = 2);

}  // namespace ecsd::acs
