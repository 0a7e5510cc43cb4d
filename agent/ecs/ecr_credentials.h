// Registry credentials for ECR from ecr:GetAuthorizationToken, for the image
// service (runtime/image/credentials.h). Hosts
// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn] are ECR; so are the
// hosts in ECSD_ECR_REGISTRY_HOSTS (comma-separated host[:port], for private
// endpoints and tests), for which no registryIds are sent. Tokens
// ("AWS:<password>", base64) are cached per host until 5 minutes before
// expiresAt. Credentials: the instance's chain (the task execution role's,
// when given, through with_credentials()).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/aws/credentials.h"
#include "runtime/image/credentials.h"

namespace ecsd::ecs {

struct EcrHost {
  std::string account;  // "" for configured (non-AWS-named) hosts
  std::string region;
};

// Parses an ECR registry host name; nullopt when it is not one.
std::optional<EcrHost> parse_ecr_host(std::string_view host);

class EcrCredentialProvider : public image::CredentialProvider {
 public:
  struct Options {
    std::string region;  // for hosts that do not name one
    std::shared_ptr<aws::CredentialsChain> credentials;
    std::string endpoint;  // "" = aws::service_endpoint("ecr", region)
    std::vector<std::string> extra_hosts;  // default: $ECSD_ECR_REGISTRY_HOSTS
  };
  explicit EcrCredentialProvider(Options o);

  Result<std::optional<image::Credentials>> get(std::string_view host) override;
  int token_requests() const { return requests_; }

  // A task's execution role credentials (ACS executionRoleCredentials) for
  // the registries its images come from: GetAuthorizationToken for `host`
  // is then signed with them until they expire. The latest task wins when
  // tasks with different roles use one registry.
  void set_host_credentials(const std::string& host, const aws::Credentials& creds);

 private:
  struct Cached {
    image::Credentials creds;
    std::chrono::system_clock::time_point expires;
  };
  Options opts_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // by host + access key id
  std::map<std::string, aws::Credentials> host_creds_;
  int requests_ = 0;
};

}  // namespace ecsd::ecs
