#include "agent/ecs/client.h"

#include <strings.h>

#include <random>
#include <thread>

namespace ecsd::ecs {

namespace {

bool throttling_type(const std::string& t) {
  return t == "ThrottlingException" || t == "Throttling" || t == "TooManyRequestsException" ||
         t == "RequestLimitExceeded" || t == "ProvisionedThroughputExceededException" ||
         t == "RequestThrottledException" || t == "SlowDown";
}

bool expired_token_type(const std::string& t) {
  return t == "ExpiredTokenException" || t == "ExpiredToken" || t == "RequestExpired" ||
         t == "InvalidClientTokenId" || t == "UnrecognizedClientException";
}

}  // namespace

std::string ApiError::str() const {
  std::string s = operation + ": " + (type.empty() ? "error" : type);
  if (http_status) s += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) s += ": " + message;
  s += " (after " + std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)");
  return s;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& p, int attempt) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t ceiling = p.base.count();
  for (int i = 0; i < attempt && ceiling < p.cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<int64_t>(ceiling, p.cap.count());
  std::uniform_int_distribution<int64_t> d(0, std::max<int64_t>(ceiling, 0));
  return std::chrono::milliseconds(d(rng));
}

ApiError error_from_response(std::string_view operation, long status, const aws::Headers& headers,
                             const std::string& body) {
  ApiError e;
  e.operation = std::string(operation);
  e.http_status = status;
  for (const auto& [k, v] : headers)
    if (k.size() == 17 && strcasecmp(k.c_str(), "x-amzn-ErrorType") == 0) e.type = v;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("__type") && j["__type"].is_string()) e.type = j["__type"].get<std::string>();
    for (const char* k : {"message", "Message", "errorMessage"})
      if (j.contains(k) && j[k].is_string()) e.message = j[k].get<std::string>();
  } else if (e.message.empty()) {
    e.message = body.substr(0, 300);
  }
  if (auto hash = e.type.rfind('#'); hash != std::string::npos) e.type = e.type.substr(hash + 1);
  if (auto colon = e.type.find(':'); colon != std::string::npos) e.type = e.type.substr(0, colon);
  e.retryable = status >= 500 || status == 429 || throttling_type(e.type);
  if (e.type.empty()) e.type = status >= 500 ? "ServerException" : "ClientException";
  return e;
}

Client::Client(ClientOptions options) : opts_(std::move(options)) {
  if (!opts_.sleep) opts_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

ApiResult<nlohmann::json> Client::call_once(const std::string& operation, const nlohmann::json& body) {
  ApiError err;
  err.operation = operation;
  err.attempts = 1;
  if (!opts_.credentials) {
    err.message = "no credentials provider";
    return std::unexpected(err);
  }
  auto creds = opts_.credentials->get();
  if (!creds) {
    err.type = "NoCredentials";
    err.message = creds.error().message;
    err.retryable = true;  // the instance profile may appear later
    return std::unexpected(err);
  }
  aws::HttpRequest req;
  req.method = "POST";
  req.url = opts_.endpoint + "/";
  req.body = body.dump();
  req.set_header("Content-Type", "application/x-amz-json-1.1");
  req.set_header("X-Amz-Target", opts_.target_prefix + operation);
  req.set_header("User-Agent", opts_.user_agent);
  auto signed_ok = aws::sign_request(req, *creds, aws::SigningParams{opts_.region, opts_.signing_service});
  if (!signed_ok) {
    err.message = signed_ok.error().message;
    return std::unexpected(err);
  }
  {
    std::lock_guard lock(mu_);
    ++requests_;
  }
  auto resp = aws::http_send(req, opts_.http);
  if (!resp) {
    err.type = "TransportError";
    err.message = resp.error().message;
    err.retryable = true;
    return std::unexpected(err);
  }
  if (resp->status != 200) {
    ApiError e = error_from_response(operation, resp->status, resp->headers, resp->body);
    e.attempts = 1;
    return std::unexpected(e);
  }
  auto j = nlohmann::json::parse(resp->body.empty() ? "{}" : resp->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err.type = "InvalidResponse";
    err.message = "response is not a JSON object: " + resp->body.substr(0, 200);
    err.retryable = true;
    return std::unexpected(err);
  }
  return j;
}

ApiResult<nlohmann::json> Client::call(const std::string& operation, const nlohmann::json& body) {
  bool refreshed = false;
  for (int attempt = 0;; ++attempt) {
    auto r = call_once(operation, body);
    if (r) return r;
    ApiError e = r.error();
    e.attempts = attempt + 1;
    if (expired_token_type(e.type) && !refreshed && opts_.credentials) {
      opts_.credentials->invalidate();
      refreshed = true;
      continue;
    }
    if (!e.retryable || attempt + 1 >= opts_.retry.max_attempts) return std::unexpected(e);
    opts_.sleep(backoff_delay(opts_.retry, attempt));
  }
}

ApiResult<PollEndpoints> Client::discover_poll_endpoint(const std::string& cluster,
                                                        const std::string& container_instance) {
  std::string key = cluster + "|" + container_instance;
  {
    std::lock_guard lock(mu_);
    if (poll_ && poll_key_ == key && std::chrono::steady_clock::now() - poll_at_ < poll_ttl_) return *poll_;
  }
  auto r = call("DiscoverPollEndpoint", {{"cluster", cluster}, {"containerInstance", container_instance}});
  if (!r) return std::unexpected(r.error());
  PollEndpoints p;
  p.acs = r->value("endpoint", "");
  p.telemetry = r->value("telemetryEndpoint", "");
  if (p.acs.empty()) {
    ApiError e;
    e.operation = "DiscoverPollEndpoint";
    e.type = "InvalidResponse";
    e.message = "no endpoint in the response";
    e.attempts = 1;
    return std::unexpected(e);
  }
  std::lock_guard lock(mu_);
  poll_ = p;
  poll_key_ = key;
  poll_at_ = std::chrono::steady_clock::now();
  return p;
}

void Client::invalidate_poll_endpoint() {
  std::lock_guard lock(mu_);
  poll_.reset();
}

}  // namespace ecsd::ecs
