// One HTTP request over libcurl, with connection reuse (a shared connection,
// DNS and TLS-session cache across threads) and a pool of easy handles.
// Proxies come from the environment as curl reads them (http_proxy,
// https_proxy, no_proxy/NO_PROXY). TLS peers are always verified.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

struct TransportOptions {
  std::string ca_file;  // extra CA bundle (PEM); empty = system default
  std::string ca_path;  // CA directory (hashed); empty = system default
  long connect_timeout_s = 30;
  // Inactivity timeout: a transfer slower than 1 byte/s for this long fails.
  long low_speed_time_s = 60;
  std::string user_agent = "ecsd";
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for POST
  int64_t range_from = -1;           // >= 0: "Range: bytes=N-"
  bool follow_redirects = true;
};

struct HttpResponse {
  int curl_code = 0;       // CURLE_OK (0) when the transfer itself worked
  std::string curl_error;  // curl's message when it did not
  long status = 0;         // HTTP status of the final response
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;        // collected body (not for streamed 2xx responses)
  std::string effective_url;

  std::optional<std::string> header(std::string_view lower_name) const;
  std::vector<std::string> headers_named(std::string_view lower_name) const;
};

// Receives a 2xx response body as it arrives. start() is called once, before
// the first byte, with the status and headers. An error from either stops the
// transfer and is returned by perform().
struct StreamHandler {
  std::function<Status(const HttpResponse&)> start;
  std::function<Status(const char*, size_t)> data;
};

class HttpTransport {
 public:
  explicit HttpTransport(TransportOptions opts);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // One attempt, no retries. Transport failures are reported in
  // HttpResponse::curl_code so callers can decide to retry; the Result is an
  // error only for local failures (a handler error, a body over max_body).
  // With a handler, 2xx bodies go to it; other bodies are collected (capped
  // at max_body, then truncated silently for error bodies).
  Result<HttpResponse> perform(const HttpRequest& req, const StreamHandler* handler, size_t max_body);

  const TransportOptions& options() const { return opts_; }

 private:
  struct Shared;
  TransportOptions opts_;
  std::unique_ptr<Shared> shared_;
};

// curl's text for a curl code.
std::string curl_code_text(int code);

}  // namespace ecsd::image
