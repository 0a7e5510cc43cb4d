// AWS Signature Version 4: the Authorization header form (ECS JSON API, the
// ACS/TCS websocket upgrade) and the presigned-URL query form. Canonical
// forms follow botocore's signer, which the unit tests compare against.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ecsd::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // "env", "shared-credentials-file:profile", "imds:role-name", ...
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute; the query already percent-encoded
  Headers headers;
  std::string body;

  // Case-insensitive lookup of the first header with that name.
  const std::string* header(std::string_view name) const;
  void set_header(std::string name, std::string value);  // replaces all with that name
  void remove_header(std::string_view name);
};

struct SigningParams {
  std::string region;
  std::string service;  // "ecs", "ecr", ...
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// "20261201T134500Z"
std::string amz_date(std::chrono::system_clock::time_point t);

// Adds X-Amz-Date, X-Amz-Security-Token (when there is a token) and
// Authorization to the request. Signs every header but the hop-by-hop ones
// and User-Agent, plus Host (from the URL when absent), and the body's SHA-256.
Status sign_request(HttpRequest& request, const Credentials& creds, const SigningParams& params);

// Returns the URL with X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders, -Security-Token and -Signature query parameters.
Result<std::string> presign_url(const HttpRequest& request, const Credentials& creds, const SigningParams& params,
                                int expires_seconds = 3600);

// The canonical request (for debugging and tests).
Result<std::string> canonical_request(const HttpRequest& request);

}  // namespace ecsd::aws
