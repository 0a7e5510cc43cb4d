// Private registry credentials from Secrets Manager (a container's
// repositoryCredentials, in ACS: registryAuthentication {type "asm",
// asmAuthData {credentialsParameter, region}}): GetSecretValue (JSON 1.1,
// target secretsmanager.GetSecretValue, SigV4 service "secretsmanager"),
// signed with the task execution role's credentials; the SecretString is
// {"username": ..., "password": ...}.
#pragma once

#include <memory>
#include <string>

#include "agent/aws/credentials.h"
#include "runtime/image/credentials.h"

namespace ecsd::ecs {

struct AsmRequest {
  std::string secret_arn;  // credentialsParameter (ARN or name)
  std::string region;      // asmAuthData.region, else the ARN's, else the agent's
  std::string endpoint;    // "" = aws::service_endpoint("secretsmanager", region)
};

Result<image::Credentials> fetch_registry_credentials(const AsmRequest& req,
                                                      std::shared_ptr<aws::CredentialsChain> credentials);

}  // namespace ecsd::ecs
