// Bearer tokens cached per (registry host, scope) until they expire. The
// clock is passed in so expiry is testable. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ecsd::image {

using Clock = std::chrono::system_clock;

struct BearerToken {
  std::string token;
  Clock::time_point expires_at;
};

// Parses a token endpoint response: {"token"|"access_token", "expires_in"
// (seconds, default 60), "issued_at" (RFC 3339, else `now`)}.
Result<BearerToken> parse_token_response(std::string_view json, Clock::time_point now);

// "2024-05-01T10:20:30.123Z" / "+02:00" offsets -> time point.
std::optional<Clock::time_point> parse_rfc3339(std::string_view s);

class TokenCache {
 public:
  // A token is treated as expired `margin` before its expiry (at most half
  // its remaining lifetime at insertion), so it is never sent stale.
  explicit TokenCache(std::chrono::seconds margin = std::chrono::seconds(10)) : margin_(margin) {}

  std::optional<std::string> get(const std::string& key, Clock::time_point now) const;
  void put(const std::string& key, const BearerToken& token, Clock::time_point now);
  void invalidate(const std::string& key);

 private:
  std::chrono::seconds margin_;
  mutable std::mutex mu_;
  std::map<std::string, BearerToken> entries_;
};

}  // namespace ecsd::image
