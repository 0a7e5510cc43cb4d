#include "agent/ecs/ecr_credentials.h"

#include <cstdlib>
#include <regex>

#include <nlohmann/json.hpp>

#include "agent/aws/crypto.h"
#include "agent/aws/endpoints.h"
#include "agent/aws/http.h"
#include "agent/ecs/client.h"

namespace ecsd::ecs {

std::optional<EcrHost> parse_ecr_host(std::string_view host) {
  static const std::regex re(R"(^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$)");
  std::cmatch m;
  std::string h(host);
  if (!std::regex_match(h.c_str(), m, re)) return std::nullopt;
  return EcrHost{m[1].str(), m[3].str()};
}

EcrCredentialProvider::EcrCredentialProvider(Options o) : opts_(std::move(o)) {
  if (opts_.extra_hosts.empty()) {
    if (const char* e = std::getenv("ECSD_ECR_REGISTRY_HOSTS"); e && *e) {
      std::string s = e;
      size_t start = 0;
      while (start <= s.size()) {
        size_t c = s.find(',', start);
        std::string h = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
        if (!h.empty()) opts_.extra_hosts.push_back(h);
        if (c == std::string::npos) break;
        start = c + 1;
      }
    }
  }
}

Result<std::optional<image::Credentials>> EcrCredentialProvider::get(std::string_view host) {
  std::optional<EcrHost> ecr = parse_ecr_host(host);
  if (!ecr) {
    for (const auto& h : opts_.extra_hosts)
      if (h == host) ecr = EcrHost{"", opts_.region};
  }
  if (!ecr) return std::optional<image::Credentials>{};
  std::shared_ptr<aws::CredentialsChain> signer = opts_.credentials;
  std::string key(host);
  {
    std::lock_guard lock(mu_);
    auto hc = host_creds_.find(key);
    if (hc != host_creds_.end()) {
      if (!hc->second.expiration || *hc->second.expiration > std::chrono::system_clock::now()) {
        std::vector<std::unique_ptr<aws::CredentialsProvider>> v;
        v.push_back(std::make_unique<aws::StaticProvider>(hc->second));
        signer = std::make_shared<aws::CredentialsChain>(std::move(v));
        key += "|" + hc->second.access_key_id;
      } else {
        host_creds_.erase(hc);
      }
    }
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires - std::chrono::minutes(5) > std::chrono::system_clock::now())
      return std::optional<image::Credentials>(it->second.creds);
  }
  ClientOptions co;
  co.region = ecr->region.empty() ? opts_.region : ecr->region;
  co.endpoint = opts_.endpoint.empty() ? aws::service_endpoint("ecr", co.region) : opts_.endpoint;
  co.credentials = signer;
  co.target_prefix = "AmazonEC2ContainerRegistry_V20150921.";
  co.signing_service = "ecr";
  co.user_agent = "ecsd";
  Client client(co);
  nlohmann::json body = nlohmann::json::object();
  if (!ecr->account.empty()) body["registryIds"] = nlohmann::json::array({ecr->account});
  auto r = client.call("GetAuthorizationToken", body);
  {
    std::lock_guard lock(mu_);
    ++requests_;
  }
  if (!r) return fail_invalid("ECR credentials for " + std::string(host) + ": " + r.error().str());
  if (!r->contains("authorizationData") || !(*r)["authorizationData"].is_array() ||
      (*r)["authorizationData"].empty())
    return fail_invalid("ECR credentials for " + std::string(host) + ": no authorizationData");
  const auto& d = (*r)["authorizationData"][0];
  std::string decoded = aws::base64_decode(d.value("authorizationToken", ""));
  auto colon = decoded.find(':');
  if (colon == std::string::npos)
    return fail_invalid("ECR credentials for " + std::string(host) + ": malformed authorizationToken");
  image::Credentials creds{decoded.substr(0, colon), decoded.substr(colon + 1), ""};
  auto expires = std::chrono::system_clock::now();
  if (d.contains("expiresAt") && d["expiresAt"].is_number())
    expires = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(static_cast<int64_t>(d["expiresAt"].get<double>() * 1000)));
  std::lock_guard lock(mu_);
  cache_[key] = Cached{creds, expires};
  return std::optional<image::Credentials>(creds);
}

}  // namespace ecsd::ecs

namespace ecsd::ecs {

void EcrCredentialProvider::set_host_credentials(const std::string& host, const aws::Credentials& creds) {
  std::lock_guard lock(mu_);
  host_creds_[host] = creds;
}

}  // namespace ecsd::ecs
