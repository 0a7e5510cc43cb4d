#include "agent/aws/sigv4.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "agent/aws/crypto.h"
#include "agent/aws/url.h"

namespace ecsd::aws {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

// Headers that are hop-by-hop or change in transit are never signed.
const std::set<std::string>& unsigned_headers() {
  static const std::set<std::string> s{"connection", "expect", "keep-alive", "proxy-authenticate",
                                       "proxy-authorization", "te", "trailer", "transfer-encoding",
                                       "upgrade", "user-agent", "x-amzn-trace-id", "authorization"};
  return s;
}

// RFC 3986 5.2.4 plus the collapsing of empty segments AWS expects.
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    std::string_view seg = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!out.empty()) out.pop_back();
      } else {
        out.push_back(seg);
      }
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  std::string r = path[0] == '/' ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) r += '/';
    r += out[i];
  }
  if (path.back() == '/' && !out.empty()) r += '/';
  return r;
}

std::string collapse_spaces(std::string_view v) {
  std::string out;
  bool pending = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending = !out.empty();
    } else {
      if (pending) out += ' ';
      pending = false;
      out += c;
    }
  }
  return out;
}

struct Canonical {
  std::string request;
  std::string signed_headers;
};

Result<Canonical> canonicalize(const HttpRequest& req) {
  auto url = parse_url(req.url);
  if (!url) return fail(url.error());
  std::string method = req.method;
  std::transform(method.begin(), method.end(), method.begin(), ::toupper);

  std::vector<std::pair<std::string, std::string>> pairs;
  if (!url->query.empty()) {
    size_t pos = 0;
    while (pos <= url->query.size()) {
      size_t amp = url->query.find('&', pos);
      std::string pair = url->query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      auto eq = pair.find('=');
      pairs.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::string query;
  for (const auto& [k, v] : pairs) {
    if (!query.empty()) query += '&';
    query += k + "=" + v;
  }

  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : req.headers) {
    std::string l = lower(name);
    if (unsigned_headers().count(l)) continue;
    auto [it, inserted] = headers.emplace(l, collapse_spaces(value));
    if (!inserted) it->second += "," + collapse_spaces(value);
  }
  if (!headers.count("host")) headers["host"] = url->host_header();
  std::string canon_headers, signed_headers;
  for (const auto& [k, v] : headers) {
    canon_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }
  const std::string* content_sha = req.header("X-Amz-Content-SHA256");
  std::string payload = content_sha ? *content_sha : sha256_hex(req.body);
  Canonical c;
  c.request = method + "\n" + uri_encode(normalize_path(url->path), "/~") + "\n" + query + "\n" + canon_headers +
              "\n" + signed_headers + "\n" + payload;
  c.signed_headers = signed_headers;
  return c;
}

std::string signature(const Credentials& creds, const SigningParams& p, const std::string& date,
                      const std::string& canonical) {
  std::string scope = date.substr(0, 8) + "/" + p.region + "/" + p.service + "/aws4_request";
  std::string sts = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + sha256_hex(canonical);
  std::string k = hmac_sha256("AWS4" + creds.secret_access_key, date.substr(0, 8));
  k = hmac_sha256(k, p.region);
  k = hmac_sha256(k, p.service);
  k = hmac_sha256(k, "aws4_request");
  return hex(hmac_sha256(k, sts));
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return &v;
  return nullptr;
}

void HttpRequest::remove_header(std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

void HttpRequest::set_header(std::string name, std::string value) {
  remove_header(name);
  headers.emplace_back(std::move(name), std::move(value));
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<std::string> canonical_request(const HttpRequest& request) {
  auto c = canonicalize(request);
  if (!c) return fail(c.error());
  return c->request;
}

Status sign_request(HttpRequest& req, const Credentials& creds, const SigningParams& p) {
  if (creds.access_key_id.empty() || creds.secret_access_key.empty())
    return fail_invalid("signing " + req.method + " " + req.url + ": no AWS credentials");
  std::string date = amz_date(p.now);
  req.remove_header("Authorization");
  req.set_header("X-Amz-Date", date);
  if (!creds.session_token.empty()) req.set_header("X-Amz-Security-Token", creds.session_token);
  auto c = canonicalize(req);
  if (!c) return fail(c.error().with_context("signing request"));
  std::string scope = date.substr(0, 8) + "/" + p.region + "/" + p.service + "/aws4_request";
  req.set_header("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                                      ", SignedHeaders=" + c->signed_headers +
                                      ", Signature=" + signature(creds, p, date, c->request));
  return {};
}

Result<std::string> presign_url(const HttpRequest& request, const Credentials& creds, const SigningParams& p,
                                int expires_seconds) {
  if (creds.access_key_id.empty() || creds.secret_access_key.empty())
    return fail_invalid("presigning " + request.url + ": no AWS credentials");
  auto url = parse_url(request.url);
  if (!url) return fail(url.error());
  std::string date = amz_date(p.now);
  std::string scope = date.substr(0, 8) + "/" + p.region + "/" + p.service + "/aws4_request";

  // Signed headers: what the request carries plus host.
  std::set<std::string> names{"host"};
  for (const auto& [k, v] : request.headers)
    if (!unsigned_headers().count(lower(k))) names.insert(lower(k));
  std::string signed_headers;
  for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;

  // The operation's own parameters (re-encoded), then the auth parameters.
  std::vector<std::pair<std::string, std::string>> params;
  if (!url->query.empty()) {
    size_t pos = 0;
    while (pos <= url->query.size()) {
      size_t amp = url->query.find('&', pos);
      std::string pair = url->query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      auto eq = pair.find('=');
      std::string k = uri_decode(pair.substr(0, eq)), v = eq == std::string::npos ? "" : uri_decode(pair.substr(eq + 1));
      if (std::none_of(params.begin(), params.end(), [&](const auto& x) { return x.first == k; }))
        params.emplace_back(k, v);
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  params.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  params.emplace_back("X-Amz-Credential", creds.access_key_id + "/" + scope);
  params.emplace_back("X-Amz-Date", date);
  params.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  params.emplace_back("X-Amz-SignedHeaders", signed_headers);
  if (!creds.session_token.empty()) params.emplace_back("X-Amz-Security-Token", creds.session_token);
  std::string query;
  for (const auto& [k, v] : params) query += (query.empty() ? "" : "&") + uri_encode(k) + "=" + uri_encode(v);
  url->query = query;

  HttpRequest to_sign = request;
  to_sign.url = url->str();
  // Keep the caller's exact scheme/host/path text: rebuild from the original prefix.
  std::string base = request.url.substr(0, request.url.find_first_of("?#"));
  to_sign.url = base + "?" + query;
  auto c = canonicalize(to_sign);
  if (!c) return fail(c.error().with_context("presigning"));
  return to_sign.url + "&X-Amz-Signature=" + signature(creds, p, date, c->request);
}

}  // namespace ecsd::aws
