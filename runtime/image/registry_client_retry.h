// When to retry a registry request and how long to wait. Pure logic.
#pragma once

#include <chrono>
#include <cstdint>

namespace ecsd::image {

struct RetryPolicy {
  int max_attempts = 5;                              // including the first
  std::chrono::milliseconds base_delay{250};         // delay before attempt 2
  std::chrono::milliseconds max_delay{8000};         // cap for exponential growth

  // Transport failure (curl code) worth retrying: connection refused/reset,
  // timeouts (incl. the inactivity timeout), truncated transfers, DNS.
  static bool retryable_transport(int curl_code);
  // HTTP statuses worth retrying: 408, 429, 500, 502, 503, 504.
  static bool retryable_status(long http_status);
  // Delay before attempt number `attempt` (2 = first retry): base * 2^(attempt-2),
  // capped at max_delay; jitter in [0, 1) scales it into [delay/2, delay).
  std::chrono::milliseconds delay(int attempt, double jitter) const;
};

}  // namespace ecsd::image
