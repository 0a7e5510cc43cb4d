// One short HTTP request for the doctor's reachability checks (libcurl).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace ecsd::host {

struct HttpReply {
  long status = 0;
  std::string date;  // the Date header, if any
  std::string body;  // first 64 KiB
};

// Any HTTP response is a reply (4xx included); an error means no response
// (refused, timeout, DNS, TLS) and says which.
Result<HttpReply> http_request(const std::string& method, const std::string& url,
                               const std::vector<std::string>& headers, long timeout_ms);

}  // namespace ecsd::host
