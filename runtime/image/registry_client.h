// Registry HTTP API v2 client: manifests and blobs, with authentication
// (anonymous or credentialed Bearer tokens from the WWW-Authenticate
// challenge, cached per scope; Basic), retries with backoff and Range resume
// of interrupted blob downloads.
//
// Scheme: HTTPS with verification. Plain HTTP is used only for hosts listed
// as insecure and for loopback (localhost, 127.0.0.0/8, ::1) hosts, and only
// when HTTPS does not answer with TLS. Certificate errors never fall back.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/image/auth_challenge.h"
#include "runtime/image/auth_token_cache.h"
#include "runtime/image/credentials.h"
#include "runtime/image/reference.h"
#include "runtime/image/registry_client_http.h"
#include "runtime/image/registry_client_retry.h"

namespace ecsd::image {

struct RegistryOptions {
  TransportOptions transport;
  RetryPolicy retry;
  std::vector<std::string> insecure_registries;  // host[:port]; plain HTTP allowed
  bool loopback_insecure = true;                 // as Docker: 127.0.0.0/8 and localhost
  std::shared_ptr<CredentialProvider> credentials;  // may be null (anonymous)
};

struct FetchedManifest {
  std::string body;
  std::string content_type;
  std::string digest;  // sha256 of body (checked against a pinned digest)
};

// Counters for tests and progress (all requests of this client).
struct RegistryStats {
  std::atomic<int> requests{0};
  std::atomic<int> retries{0};
  std::atomic<int> token_fetches{0};
  std::atomic<int> resumes{0};
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryOptions opts);
  ~RegistryClient();

  // GET /v2/<repo>/manifests/<tag|digest>. When `ref` is a digest, the body
  // must hash to it. At most max_size bytes are read.
  Result<FetchedManifest> get_manifest(const Reference& image, std::string_view ref, size_t max_size);

  // GET a small blob into memory, verified against digest.
  Result<std::string> get_blob(const Reference& image, std::string_view digest, size_t max_size);

  // Stream a blob to `data`, each byte exactly once and in order. An
  // interrupted transfer is resumed with a Range request from the bytes
  // already delivered (retries per RetryPolicy). expected_size < 0: unknown.
  // The caller verifies the digest.
  Status fetch_blob(const Reference& image, std::string_view digest, int64_t expected_size,
                    const std::function<Status(const char*, size_t)>& data);

  const RegistryStats& stats() const { return stats_; }
  const RegistryOptions& options() const { return opts_; }

  // Sleep function used between retries (tests can shorten it).
  void set_sleeper(std::function<void(std::chrono::milliseconds)> s) { sleeper_ = std::move(s); }

 private:
  struct HostState;
  Result<HostState*> host_state(const Reference& image);
  Result<std::string> base_url(const Reference& image);
  std::string scope_for(const Reference& image) const;
  Result<std::string> auth_header(HostState& hs, const Reference& image);
  Status handle_unauthorized(HostState& hs, const Reference& image, const HttpResponse& resp);
  Result<std::string> fetch_token(HostState& hs, const AuthChallenge& ch, const std::string& scope);
  // A request with auth, retries and backoff. handler may be null.
  Result<HttpResponse> request(const Reference& image, HttpRequest req, const StreamHandler* handler,
                               size_t max_body, const char* what,
                               const std::function<void(HttpRequest&)>* prepare = nullptr);
  void backoff(int attempt);

  RegistryOptions opts_;
  HttpTransport transport_;
  TokenCache tokens_;
  RegistryStats stats_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<HostState>> hosts_;
  std::function<void(std::chrono::milliseconds)> sleeper_;
};

}  // namespace ecsd::image
