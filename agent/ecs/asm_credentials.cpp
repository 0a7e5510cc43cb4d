#include "agent/ecs/asm_credentials.h"

#include <nlohmann/json.hpp>

#include "agent/aws/endpoints.h"
#include "agent/ecs/client.h"

namespace ecsd::ecs {

Result<image::Credentials> fetch_registry_credentials(const AsmRequest& req,
                                                      std::shared_ptr<aws::CredentialsChain> credentials) {
  std::string region = req.region;
  if (region.empty() && req.secret_arn.rfind("arn:", 0) == 0) {
    // arn:aws:secretsmanager:<region>:<account>:secret:<name>
    size_t p = 0;
    for (int i = 0; i < 3 && p != std::string::npos; ++i) p = req.secret_arn.find(':', p + 1);
    if (p != std::string::npos) region = req.secret_arn.substr(p + 1, req.secret_arn.find(':', p + 1) - p - 1);
  }
  ClientOptions co;
  co.region = region;
  co.endpoint = req.endpoint.empty() ? aws::service_endpoint("secretsmanager", region) : req.endpoint;
  co.credentials = std::move(credentials);
  co.target_prefix = "secretsmanager.";
  co.signing_service = "secretsmanager";
  Client client(co);
  auto r = client.call("GetSecretValue", {{"SecretId", req.secret_arn}});
  std::string what = "registry credentials from secret " + req.secret_arn;
  if (!r) return fail_invalid(what + ": " + r.error().str());
  auto secret = nlohmann::json::parse(r->value("SecretString", ""), nullptr, false);
  if (!secret.is_object() || !secret.contains("username") || !secret.contains("password") ||
      !secret["username"].is_string() || !secret["password"].is_string())
    return fail_invalid(what + ": the secret is not {\"username\": ..., \"password\": ...}");
  return image::Credentials{secret["username"].get<std::string>(), secret["password"].get<std::string>(), ""};
}

}  // namespace ecsd::ecs
