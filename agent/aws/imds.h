// EC2 instance metadata (IMDSv2): a session token from PUT /latest/api/token,
// renewed before it expires and once on a 401; then GETs with
// X-aws-ec2-metadata-token. The endpoint is AWS_EC2_METADATA_SERVICE_ENDPOINT,
// else http://169.254.169.254. AWS_EC2_METADATA_DISABLED=true turns it off.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "agent/aws/http.h"
#include "common/error.h"

namespace ecsd::aws {

struct InstanceIdentity {
  std::string document;   // the JSON text as served (sent to ECS verbatim)
  std::string signature;  // base64, as served
  std::string instance_id, region, availability_zone, account_id, instance_type, architecture, private_ip;
};

class ImdsClient {
 public:
  // endpoint "" = from the environment (see above).
  explicit ImdsClient(std::string endpoint = "", std::chrono::seconds token_ttl = std::chrono::seconds(21600));

  const std::string& endpoint() const { return endpoint_; }
  bool disabled() const { return disabled_; }

  // GET /latest/<path> ("meta-data/instance-id", "dynamic/instance-identity/document").
  Result<std::string> get(const std::string& path);

  Result<InstanceIdentity> identity();
  Result<std::string> instance_id() { return get("meta-data/instance-id"); }
  Result<std::string> region();
  Result<std::string> availability_zone() { return get("meta-data/placement/availability-zone"); }

  // Number of tokens fetched so far (tests check refresh).
  int tokens_fetched() const { return tokens_fetched_; }

 private:
  Result<std::string> token(bool force);

  std::string endpoint_;
  bool disabled_ = false;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_{};
  int tokens_fetched_ = 0;
  HttpOptions http_;
};

std::string imds_endpoint_from_env();

}  // namespace ecsd::aws
