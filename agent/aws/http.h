// Blocking HTTP over libcurl: one request, whole body in memory. Transport
// failures are errors with code EIO ("POST http://...: Couldn't connect to
// server"); any HTTP status is a response.
#pragma once

#include <chrono>
#include <string>

#include "agent/aws/sigv4.h"
#include "common/error.h"

namespace ecsd::aws {

struct HttpResponse {
  long status = 0;
  Headers headers;  // names as received
  std::string body;
  const std::string* header(std::string_view name) const;
};

struct HttpOptions {
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
  std::string ca_file;  // "" = system default
};

Result<HttpResponse> http_send(const HttpRequest& request, const HttpOptions& options = {});

}  // namespace ecsd::aws
