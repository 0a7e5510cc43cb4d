#include "runtime/image/registry_client_retry.h"

#include <curl/curl.h>

#include <algorithm>

namespace ecsd::image {

bool RetryPolicy::retryable_transport(int code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool RetryPolicy::retryable_status(long s) {
  return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

std::chrono::milliseconds RetryPolicy::delay(int attempt, double jitter) const {
  if (attempt < 2) return std::chrono::milliseconds(0);
  int shift = std::min(attempt - 2, 20);
  int64_t ms = base_delay.count() << shift;
  ms = std::min<int64_t>(ms, max_delay.count());
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(ms / 2.0 + ms / 2.0 * jitter));
}

}  // namespace ecsd::image
