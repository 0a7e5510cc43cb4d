// A small absolute-URL splitter (scheme://[userinfo@]host[:port]/path?query#frag).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace ecsd::aws {

struct Url {
  std::string scheme;  // lower-case: "https", "http", "wss", "ws"
  std::string host;    // lower-case; IPv6 without brackets
  int port = 0;        // 0 when not written
  std::string path;    // "/..." or ""
  std::string query;   // without '?', as written (already encoded)

  int effective_port() const;  // port, else the scheme's default
  // The Host header: host, plus ":port" unless it is the scheme's default.
  std::string host_header() const;
  std::string str() const;     // reassembled (no userinfo, no fragment)
};

Result<Url> parse_url(std::string_view text);

}  // namespace ecsd::aws
