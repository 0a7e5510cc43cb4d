// The ECS API over JSON 1.1 (POST /, X-Amz-Target:
// AmazonEC2ContainerServiceV20141113.<Operation>, SigV4 service "ecs").
// Transport failures, HTTP 5xx and throttling are retried with full-jitter
// exponential backoff; an expired token refreshes the credentials once;
// everything else is a terminal ApiError naming the operation and the
// service's error type.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/aws/credentials.h"
#include "agent/aws/http.h"

namespace ecsd::ecs {

struct ApiError {
  std::string operation;  // "RegisterContainerInstance"
  long http_status = 0;   // 0: no response (transport failure)
  std::string type;       // "ClientException", "ServerException", "ThrottlingException", ...
  std::string message;
  bool retryable = false;
  int attempts = 0;
  std::string str() const;  // "RegisterContainerInstance: ClientException (HTTP 400): ... (after 1 attempt)"
};

template <typename T>
using ApiResult = std::expected<T, ApiError>;

struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{10000};
};

// Full jitter: uniform in [0, min(cap, base * 2^attempt)].
std::chrono::milliseconds backoff_delay(const RetryPolicy& p, int attempt);

// Classifies a response: retryable for 5xx, 429 and throttling types.
ApiError error_from_response(std::string_view operation, long status, const aws::Headers& headers,
                             const std::string& body);

struct ClientOptions {
  std::string endpoint;  // "https://ecs.us-east-1.amazonaws.com" (aws::service_endpoint)
  std::string region;
  std::shared_ptr<aws::CredentialsChain> credentials;
  RetryPolicy retry;
  aws::HttpOptions http;
  std::string user_agent = "ecsd";
  // JSON 1.1 target prefix and SigV4 service (ECS by default; ECR reuses the client).
  std::string target_prefix = "AmazonEC2ContainerServiceV20141113.";
  std::string signing_service = "ecs";
  // Sleeps between attempts (tests replace it).
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct PollEndpoints {
  std::string acs;        // "endpoint"
  std::string telemetry;  // "telemetryEndpoint"
};

class Client {
 public:
  explicit Client(ClientOptions options);

  // One operation with retries. Returns the response JSON object.
  ApiResult<nlohmann::json> call(const std::string& operation, const nlohmann::json& body);
  // Single attempt, no retry.
  ApiResult<nlohmann::json> call_once(const std::string& operation, const nlohmann::json& body);

  // Cached per (cluster, instance) for `ttl`; invalidate after a failed connect.
  ApiResult<PollEndpoints> discover_poll_endpoint(const std::string& cluster, const std::string& container_instance);
  void invalidate_poll_endpoint();
  void set_poll_endpoint_ttl(std::chrono::seconds ttl) { poll_ttl_ = ttl; }

  const ClientOptions& options() const { return opts_; }
  int requests_sent() const { return requests_; }

 private:
  ClientOptions opts_;
  std::mutex mu_;
  std::optional<PollEndpoints> poll_;
  std::string poll_key_;
  std::chrono::steady_clock::time_point poll_at_{};
  std::chrono::seconds poll_ttl_{std::chrono::minutes(20)};
  int requests_ = 0;
};

}  // namespace ecsd::ecs
