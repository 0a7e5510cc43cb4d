#include "runtime/image/registry_client.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "runtime/image/digest.h"
#include "runtime/image/manifest.h"

namespace ecsd::image {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxTokenBody = 1024 * 1024;

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)" from a registry error body.
std::string describe_status(const HttpResponse& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string msg = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    s += " (" + code + (msg.empty() ? "" : ": " + msg) + ")";
  } else if (!r.body.empty()) {
    std::string b = r.body.substr(0, 200);
    for (auto& c : b)
      if (c == '\n' || c == '\r') c = ' ';
    s += ": " + b;
  }
  return s;
}

bool is_certificate_error(int code) {
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_ISSUER_ERROR || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

}  // namespace

struct RegistryClient::HostState {
  std::mutex mu;
  std::string scheme;  // "https" or "http" once decided
  enum class Auth { kUnknown, kNone, kBasic, kBearer } auth = Auth::kUnknown;
  AuthChallenge challenge;
  bool creds_loaded = false;
  std::optional<Credentials> creds;
};

RegistryClient::RegistryClient(RegistryOptions opts)
    : opts_(std::move(opts)), transport_(opts_.transport), sleeper_([](std::chrono::milliseconds d) {
        std::this_thread::sleep_for(d);
      }) {}

RegistryClient::~RegistryClient() = default;

void RegistryClient::backoff(int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  stats_.retries++;
  sleeper_(opts_.retry.delay(attempt, dist(rng)));
}

Result<RegistryClient::HostState*> RegistryClient::host_state(const Reference& image) {
  std::string host = image.registry_host();
  HostState* hs;
  {
    std::lock_guard lk(mu_);
    auto& slot = hosts_[host];
    if (!slot) slot = std::make_unique<HostState>();
    hs = slot.get();
  }
  std::lock_guard lk(hs->mu);
  if (!hs->creds_loaded) {
    if (opts_.credentials) {
      auto c = opts_.credentials->get(image.domain);
      if (!c) return fail(c.error().with_context("getting credentials for " + image.domain));
      hs->creds = *c;
    }
    hs->creds_loaded = true;
  }
  return hs;
}

Result<std::string> RegistryClient::base_url(const Reference& image) {
  auto hsr = host_state(image);
  if (!hsr) return fail(hsr.error());
  HostState& hs = **hsr;
  std::string host = image.registry_host();
  std::lock_guard lk(hs.mu);
  if (!hs.scheme.empty()) return hs.scheme + "://" + host;
  bool insecure = opts_.loopback_insecure && is_loopback_host(host);
  for (const auto& h : opts_.insecure_registries)
    if (normalize_registry_host(h) == image.domain || h == host) insecure = true;
  if (!insecure) {
    hs.scheme = "https";
    return hs.scheme + "://" + host;
  }
  // Probe HTTPS; fall back to plain HTTP only when the server does not speak TLS.
  HttpRequest probe;
  probe.url = "https://" + host + "/v2/";
  int last_code = 0;
  std::string last_err;
  for (int attempt = 1; attempt <= opts_.retry.max_attempts; ++attempt) {
    stats_.requests++;
    auto r = transport_.perform(probe, nullptr, kMaxErrorBody);
    if (!r) return fail(r.error());
    if (r->curl_code == CURLE_OK) {
      hs.scheme = "https";
      return hs.scheme + "://" + host;
    }
    last_code = r->curl_code;
    last_err = r->curl_error;
    if (is_certificate_error(r->curl_code))
      return fail_invalid("TLS certificate of " + host + " not trusted: " + r->curl_error +
                          " (give the CA with --ca-file)");
    if (r->curl_code == CURLE_SSL_CONNECT_ERROR || r->curl_code == CURLE_RECV_ERROR ||
        r->curl_code == CURLE_GOT_NOTHING) {
      hs.scheme = "http";
      return hs.scheme + "://" + host;
    }
    if (!RetryPolicy::retryable_transport(r->curl_code) || attempt == opts_.retry.max_attempts) break;
    backoff(attempt + 1);
  }
  return fail_invalid("connecting to registry " + host + ": " + last_err + " (curl " + std::to_string(last_code) + ")");
}

std::string RegistryClient::scope_for(const Reference& image) const { return "repository:" + image.path + ":pull"; }

Result<std::string> RegistryClient::fetch_token(HostState& hs, const AuthChallenge& ch, const std::string& scope) {
  std::string realm = ch.param("realm");
  if (realm.empty()) return fail_invalid("Bearer challenge without realm");
  if (!realm.starts_with("https://") && !realm.starts_with("http://"))
    return fail_invalid("token realm \"" + realm + "\" is not an http(s) URL");
  std::string service = ch.param("service");
  HttpRequest req;
  req.follow_redirects = true;
  if (hs.creds && !hs.creds->identity_token.empty()) {
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = "grant_type=refresh_token&client_id=ecsd&service=" + url_encode(service) +
               "&scope=" + url_encode(scope) + "&refresh_token=" + url_encode(hs.creds->identity_token);
  } else {
    std::string q = (realm.find('?') == std::string::npos ? "?" : "&");
    req.url = realm + q + "service=" + url_encode(service) + "&scope=" + url_encode(scope);
    if (hs.creds && !hs.creds->username.empty()) {
      req.url += "&account=" + url_encode(hs.creds->username);
      req.headers.push_back("Authorization: Basic " + base64_encode(hs.creds->username + ":" + hs.creds->password));
    }
  }
  for (int attempt = 1;; ++attempt) {
    stats_.requests++;
    stats_.token_fetches++;
    auto r = transport_.perform(req, nullptr, kMaxTokenBody);
    if (!r) return fail(r.error());
    if (r->curl_code != CURLE_OK) {
      if (RetryPolicy::retryable_transport(r->curl_code) && attempt < opts_.retry.max_attempts) {
        backoff(attempt + 1);
        continue;
      }
      return fail_invalid("getting a token from " + realm + ": " + r->curl_error);
    }
    if (RetryPolicy::retryable_status(r->status) && attempt < opts_.retry.max_attempts) {
      backoff(attempt + 1);
      continue;
    }
    if (r->status == 401 || r->status == 403)
      return fail_invalid("authentication failed: token server " + realm + " answered " + describe_status(*r) +
                          (hs.creds ? " (check the username and password)" : " (no credentials configured)"));
    if (r->status != 200) return fail_invalid("getting a token from " + realm + ": " + describe_status(*r));
    auto tok = parse_token_response(r->body, Clock::now());
    if (!tok) return fail(tok.error().with_context("token from " + realm));
    tokens_.put(service + "|" + scope, *tok, Clock::now());
    return tok->token;
  }
}

Result<std::string> RegistryClient::auth_header(HostState& hs, const Reference& image) {
  std::lock_guard lk(hs.mu);
  switch (hs.auth) {
    case HostState::Auth::kBearer: {
      std::string scope = scope_for(image);
      std::string key = hs.challenge.param("service") + "|" + scope;
      if (auto t = tokens_.get(key, Clock::now())) return "Authorization: Bearer " + *t;
      auto t = fetch_token(hs, hs.challenge, scope);
      if (!t) return fail(t.error());
      return "Authorization: Bearer " + *t;
    }
    case HostState::Auth::kBasic:
      if (hs.creds && !hs.creds->username.empty())
        return "Authorization: Basic " + base64_encode(hs.creds->username + ":" + hs.creds->password);
      return std::string();
    default:
      return std::string();
  }
}

Status RegistryClient::handle_unauthorized(HostState& hs, const Reference& image, const HttpResponse& resp) {
  std::string host = image.registry_host();
  auto values = resp.headers_named("www-authenticate");
  if (values.empty()) return fail_invalid("registry " + host + " answered 401 without a WWW-Authenticate challenge");
  std::optional<AuthChallenge> bearer, basic;
  for (const auto& v : values) {
    auto chs = parse_www_authenticate(v);
    if (!chs) return fail(chs.error().with_context("registry " + host));
    for (auto& ch : *chs) {
      if (ch.scheme == "bearer" && !bearer) bearer = ch;
      if (ch.scheme == "basic" && !basic) basic = ch;
    }
  }
  std::lock_guard lk(hs.mu);
  if (bearer) {
    hs.auth = HostState::Auth::kBearer;
    hs.challenge = *bearer;
    std::string scope = scope_for(image);
    tokens_.invalidate(bearer->param("service") + "|" + scope);
    auto t = fetch_token(hs, *bearer, scope);
    if (!t) return fail(t.error().with_context("registry " + host));
    return {};
  }
  if (basic) {
    hs.auth = HostState::Auth::kBasic;
    if (!hs.creds || hs.creds->username.empty())
      return fail_invalid("registry " + host + " requires authentication (Basic) and no credentials are configured");
    return {};
  }
  return fail_invalid("registry " + host + " asks for an unsupported authentication scheme: " + values.front());
}

Result<HttpResponse> RegistryClient::request(const Reference& image, HttpRequest req, const StreamHandler* handler,
                                             size_t max_body, const char* what,
                                             const std::function<void(HttpRequest&)>* prepare) {
  auto hsr = host_state(image);
  if (!hsr) return fail(hsr.error());
  HostState& hs = **hsr;
  // A 401 means no token, or a token the registry no longer accepts (expired,
  // revoked, or issued stale): fetch a fresh one, at most twice per request.
  int reauths = 0;
  std::string url = req.url;
  for (int attempt = 1;;) {
    HttpRequest r = req;
    if (prepare) (*prepare)(r);
    auto ah = auth_header(hs, image);
    if (!ah) return fail(ah.error().with_context(std::string(what) + " " + url));
    if (!ah->empty()) r.headers.push_back(*ah);
    stats_.requests++;
    auto resp = transport_.perform(r, handler, max_body);
    if (!resp) return fail(resp.error().with_context(std::string(what) + " " + url));
    if (resp->curl_code != CURLE_OK) {
      if (RetryPolicy::retryable_transport(resp->curl_code) && attempt < opts_.retry.max_attempts) {
        backoff(++attempt);
        continue;
      }
      std::string hint;
      if (is_certificate_error(resp->curl_code)) hint = " (give the registry's CA with --ca-file)";
      return fail_invalid(std::string(what) + " " + url + ": " + resp->curl_error + hint + " (after " +
                          std::to_string(attempt) + " attempt" + (attempt == 1 ? "" : "s") + ")");
    }
    if (resp->status == 401) {
      if (reauths < 2) {
        ++reauths;
        if (auto st = handle_unauthorized(hs, image, *resp); !st)
          return fail(st.error().with_context(std::string(what) + " " + url));
        continue;
      }
      return fail_invalid(std::string(what) + " " + url + ": authentication failed: " + describe_status(*resp) +
                          (hs.creds ? " (check the username and password)" : " (no credentials configured)"));
    }
    if (RetryPolicy::retryable_status(resp->status) && attempt < opts_.retry.max_attempts) {
      backoff(++attempt);
      continue;
    }
    return resp;
  }
}

Result<FetchedManifest> RegistryClient::get_manifest(const Reference& image, std::string_view ref, size_t max_size) {
  auto base = base_url(image);
  if (!base) return fail(base.error());
  HttpRequest req;
  req.url = *base + "/v2/" + image.path + "/manifests/" + std::string(ref);
  req.headers.push_back(manifest_accept_header());
  auto resp = request(image, req, nullptr, max_size, "fetching manifest");
  if (!resp) return fail(resp.error());
  if (resp->status == 404)
    return fail_invalid("manifest " + image.name() + ":" + std::string(ref) + " not found: " + describe_status(*resp));
  if (resp->status != 200)
    return fail_invalid("fetching manifest " + req.url + ": " + describe_status(*resp));
  FetchedManifest out;
  out.body = std::move(resp->body);
  out.content_type = resp->header("content-type").value_or("");
  out.digest = sha256_digest(out.body);
  if (ref.starts_with("sha256:") && out.digest != ref)
    return fail_invalid("manifest digest mismatch for " + image.name() + ": asked for " + std::string(ref) +
                        ", registry served " + out.digest);
  return out;
}

Result<std::string> RegistryClient::get_blob(const Reference& image, std::string_view digest, size_t max_size) {
  std::string data;
  auto st = fetch_blob(image, digest, -1, [&](const char* p, size_t n) -> Status {
    if (data.size() + n > max_size)
      return fail_invalid("blob " + std::string(digest) + " is larger than the limit of " + std::to_string(max_size) +
                          " bytes");
    data.append(p, n);
    return {};
  });
  if (!st) return fail(st.error());
  if (sha256_digest(data) != digest)
    return fail_invalid("blob digest mismatch: expected " + std::string(digest) + ", got " + sha256_digest(data));
  return data;
}

Status RegistryClient::fetch_blob(const Reference& image, std::string_view digest, int64_t expected_size,
                                  const std::function<Status(const char*, size_t)>& data) {
  auto base = base_url(image);
  if (!base) return fail(base.error());
  std::string url = *base + "/v2/" + image.path + "/blobs/" + std::string(digest);
  int64_t delivered = 0;
  int64_t requested = 0;
  int64_t skip = 0;
  StreamHandler h;
  h.start = [&](const HttpResponse& r) -> Status {
    skip = 0;
    if (r.status == 206) {
      auto cr = r.header("content-range").value_or("");
      // "bytes START-END/TOTAL"
      auto sp = cr.find(' ');
      int64_t start = sp == std::string::npos ? -1 : std::atoll(cr.c_str() + sp + 1);
      if (start != requested)
        return fail_invalid("registry answered a Range request for byte " + std::to_string(requested) +
                            " with \"" + cr + "\"");
    } else if (r.status == 200) {
      skip = requested;  // Range ignored: drop what was already delivered
    } else {
      return fail_invalid("unexpected HTTP " + std::to_string(r.status) + " for blob " + url);
    }
    return {};
  };
  h.data = [&](const char* p, size_t n) -> Status {
    if (skip > 0) {
      size_t d = static_cast<size_t>(std::min<int64_t>(skip, static_cast<int64_t>(n)));
      skip -= static_cast<int64_t>(d);
      p += d;
      n -= d;
      if (n == 0) return {};
    }
    if (expected_size >= 0 && delivered + static_cast<int64_t>(n) > expected_size)
      return fail_invalid("blob " + std::string(digest) + " is longer than the " + std::to_string(expected_size) +
                          " bytes its descriptor declares");
    ECSD_TRY(data(p, n));
    delivered += static_cast<int64_t>(n);
    return {};
  };

  std::function<void(HttpRequest&)> prepare = [&](HttpRequest& r) {
    requested = delivered;
    r.range_from = delivered > 0 ? delivered : -1;
    if (delivered > 0) stats_.resumes++;
  };
  for (int round = 1;; ++round) {
    HttpRequest req;
    req.url = url;
    auto resp = request(image, req, &h, kMaxErrorBody, "fetching blob", &prepare);
    if (!resp) return fail(resp.error());
    if (resp->status == 416 && expected_size >= 0 && delivered == expected_size) return {};
    if (resp->status == 404)
      return fail_invalid("blob " + std::string(digest) + " of " + image.name() + " not found: " +
                          describe_status(*resp));
    if (resp->status != 200 && resp->status != 206)
      return fail_invalid("fetching blob " + url + ": " + describe_status(*resp));
    if (expected_size >= 0 && delivered < expected_size) {
      // The server ended a "complete" response early: resume.
      if (round < opts_.retry.max_attempts) {
        backoff(round + 1);
        continue;
      }
      return fail_invalid("blob " + std::string(digest) + " truncated: got " + std::to_string(delivered) + " of " +
                          std::to_string(expected_size) + " bytes after " + std::to_string(round) + " attempts");
    }
    return {};
  }
}

}  // namespace ecsd::image
