#include "agent/aws/endpoints.h"

#include <cstdlib>

namespace ecsd::aws {

std::string endpoint_env_name(std::string_view service) {
  if (service == "secretsmanager") return "AWS_ENDPOINT_URL_SECRETS_MANAGER";
  if (service == "logs") return "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS";
  std::string s(service);
  for (auto& c : s) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "AWS_ENDPOINT_URL_" + s;
}

std::string service_endpoint(std::string_view service, std::string_view region, std::string_view override_host) {
  auto strip = [](std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
  };
  if (!override_host.empty()) {
    std::string h(override_host);
    if (h.find("://") == std::string::npos) h = "https://" + h;
    return strip(h);
  }
  const char* ignore = std::getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!(ignore && std::string(ignore) == "true")) {
    if (const char* e = std::getenv(endpoint_env_name(service).c_str()); e && *e) return strip(e);
    if (const char* e = std::getenv("AWS_ENDPOINT_URL"); e && *e) return strip(e);
  }
  std::string prefix(service);
  if (service == "ecr") prefix = "api.ecr";
  std::string suffix = std::string(region).rfind("cn-", 0) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://" + prefix + "." + std::string(region) + suffix;
}

}  // namespace ecsd::aws
