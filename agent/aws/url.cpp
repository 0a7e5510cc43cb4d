#include "agent/aws/url.h"

#include <algorithm>

namespace ecsd::aws {

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
int default_port(const std::string& scheme) {
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "http" || scheme == "ws") return 80;
  return 0;
}
}  // namespace

int Url::effective_port() const { return port ? port : default_port(scheme); }

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port && port != default_port(scheme)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::str() const {
  std::string out = scheme + "://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
  if (port) out += ":" + std::to_string(port);
  out += path.empty() ? "/" : path;
  if (!query.empty()) out += "?" + query;
  return out;
}

Result<Url> parse_url(std::string_view text) {
  Url u;
  auto bad = [&](const char* why) { return fail_invalid("invalid URL \"" + std::string(text) + "\": " + why); };
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return bad("no scheme");
  u.scheme = lower(std::string(text.substr(0, sep)));
  std::string_view rest = text.substr(sep + 3);
  if (auto h = rest.find('#'); h != std::string_view::npos) rest = rest.substr(0, h);
  size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  if (authority.empty()) return bad("no host");
  std::string_view port_text;
  if (authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    u.host = lower(std::string(authority.substr(1, close - 1)));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("junk after IPv6 address");
      port_text = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = lower(std::string(authority.substr(0, colon)));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (!port_text.empty()) {
    int p = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || p > 65535) return bad("invalid port");
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535) return bad("invalid port");
    u.port = p;
  }
  auto q = rest.find('?');
  u.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) u.query = std::string(rest.substr(q + 1));
  return u;
}

}  // namespace ecsd::aws
