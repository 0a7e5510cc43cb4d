#include "agent/aws/imds.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace ecsd::aws {

std::string imds_endpoint_from_env() {
  if (const char* e = std::getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"); e && *e) {
    std::string s = e;
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
  }
  return "http://169.254.169.254";
}

ImdsClient::ImdsClient(std::string endpoint, std::chrono::seconds token_ttl)
    : endpoint_(endpoint.empty() ? imds_endpoint_from_env() : std::move(endpoint)), ttl_(token_ttl) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  if (const char* d = std::getenv("AWS_EC2_METADATA_DISABLED"); d && std::string(d) == "true") disabled_ = true;
  http_.timeout = std::chrono::seconds(5);
  http_.connect_timeout = std::chrono::seconds(2);
}

Result<std::string> ImdsClient::token(bool force) {
  // Renew a minute before expiry (or at half the TTL for short TTLs).
  auto now = std::chrono::steady_clock::now();
  if (!force && !token_.empty() && now < token_expiry_) return token_;
  HttpRequest req;
  req.method = "PUT";
  req.url = endpoint_ + "/latest/api/token";
  req.set_header("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(ttl_.count()));
  auto resp = http_send(req, http_);
  if (!resp) return fail(resp.error().with_context("getting an IMDSv2 token"));
  if (resp->status != 200)
    return fail_invalid("getting an IMDSv2 token from " + req.url + ": HTTP " + std::to_string(resp->status));
  token_ = resp->body;
  ++tokens_fetched_;
  auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(60), ttl_ / 2);
  token_expiry_ = now + ttl_ - margin;
  return token_;
}

Result<std::string> ImdsClient::get(const std::string& path) {
  if (disabled_) return fail_invalid("instance metadata: AWS_EC2_METADATA_DISABLED=true");
  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto tok = token(attempt > 0);
    if (!tok) return fail(tok.error());
    HttpRequest req;
    req.url = endpoint_ + "/latest/" + path;
    req.set_header("X-aws-ec2-metadata-token", *tok);
    auto resp = http_send(req, http_);
    if (!resp) return fail(resp.error().with_context("instance metadata"));
    if (resp->status == 401) continue;  // token expired or revoked: fetch a new one once
    if (resp->status != 200)
      return fail_invalid("instance metadata GET " + req.url + ": HTTP " + std::to_string(resp->status));
    return resp->body;
  }
  return fail_invalid("instance metadata GET " + endpoint_ + "/latest/" + path + ": token refused twice (HTTP 401)");
}

Result<InstanceIdentity> ImdsClient::identity() {
  InstanceIdentity id;
  auto doc = get("dynamic/instance-identity/document");
  if (!doc) return fail(doc.error());
  auto sig = get("dynamic/instance-identity/signature");
  if (!sig) return fail(sig.error());
  id.document = *doc;
  id.signature = *sig;
  auto j = nlohmann::json::parse(*doc, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("instance identity document: not a JSON object");
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  id.instance_id = str("instanceId");
  id.region = str("region");
  id.availability_zone = str("availabilityZone");
  id.account_id = str("accountId");
  id.instance_type = str("instanceType");
  id.architecture = str("architecture");
  id.private_ip = str("privateIp");
  if (id.instance_id.empty() || id.region.empty())
    return fail_invalid("instance identity document: instanceId or region missing");
  return id;
}

Result<std::string> ImdsClient::region() {
  auto r = get("meta-data/placement/region");
  if (r && !r->empty()) return r;
  auto id = identity();
  if (!id) return fail(id.error());
  return id->region;
}

}  // namespace ecsd::aws
