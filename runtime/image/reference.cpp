#include "runtime/image/reference.h"

#include <cctype>

#include "runtime/image/digest.h"

namespace ecsd::image {

namespace {

constexpr std::string_view kDockerDomain = "docker.io";
constexpr size_t kMaxNameLength = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == start || i >= c.size() || !is_lower_alnum(c[i])) return false;
  }
  return true;
}

// Domain: host labels ([a-zA-Z0-9-] with dots) or [IPv6], optional :port.
bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d;
  std::string_view port;
  if (d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inner = d.substr(1, close - 1);
    if (inner.empty()) return false;
    for (char c : inner)
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
    std::string_view rest = d.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    auto colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    size_t start = 0;
    while (start <= host.size()) {
      size_t dot = host.find('.', start);
      std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (label.empty() || label.front() == '-' || label.back() == '-') return false;
      for (char c : label)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  if (!port.empty() && (port.size() > 5 || std::stoi(std::string(port)) > 65535)) return false;
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t)
    if (!(word(c) || c == '.' || c == '-')) return false;
  return true;
}

bool all_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Error bad(std::string_view text, std::string why) {
  return Error::invalid("invalid image reference \"" + std::string(text) + "\": " + why);
}

}  // namespace

std::optional<EcrRegistry> parse_ecr_host(std::string_view host) {
  // <12 digits>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
  if (host.size() < 13) return std::nullopt;
  for (int i = 0; i < 12; ++i)
    if (!std::isdigit(static_cast<unsigned char>(host[i]))) return std::nullopt;
  std::string_view rest = host.substr(12);
  EcrRegistry out;
  out.account = std::string(host.substr(0, 12));
  if (rest.starts_with(".dkr.ecr-fips.")) {
    out.fips = true;
    rest.remove_prefix(14);
  } else if (rest.starts_with(".dkr.ecr.")) {
    rest.remove_prefix(9);
  } else {
    return std::nullopt;
  }
  std::string_view suffix;
  if (rest.ends_with(".amazonaws.com")) {
    suffix = ".amazonaws.com";
  } else if (rest.ends_with(".amazonaws.com.cn")) {
    suffix = ".amazonaws.com.cn";
  } else {
    return std::nullopt;
  }
  std::string_view region = rest.substr(0, rest.size() - suffix.size());
  if (region.empty()) return std::nullopt;
  for (char c : region)
    if (!(is_lower_alnum(c) || c == '-')) return std::nullopt;
  out.region = std::string(region);
  return out;
}

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::host_only() const {
  if (!domain.empty() && domain.front() == '[') {
    auto close = domain.find(']');
    return domain.substr(0, close + 1);
  }
  return domain.substr(0, domain.find(':'));
}

std::string Reference::registry_host() const {
  if (domain == kDockerDomain) return "registry-1.docker.io";
  return domain;
}

std::string normalize_registry_host(std::string_view host) {
  std::string h(host);
  if (h.starts_with("https://")) h.erase(0, 8);
  else if (h.starts_with("http://")) h.erase(0, 7);
  while (!h.empty() && h.back() == '/') h.pop_back();
  if (auto slash = h.find('/'); slash != std::string::npos) h.erase(slash);
  if (h == "index.docker.io" || h == "registry-1.docker.io" || h == "registry.hub.docker.com") h = "docker.io";
  return h;
}

bool is_loopback_host(std::string_view hp) {
  std::string_view host = hp;
  if (!hp.empty() && hp.front() == '[') {
    auto close = hp.find(']');
    host = hp.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    return host == "::1";
  }
  if (auto c = hp.find(':'); c != std::string_view::npos) host = hp.substr(0, c);
  if (host == "localhost") return true;
  if (!host.starts_with("127.")) return false;
  // 127.a.b.c with numeric octets
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view oct = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (oct.empty() || oct.size() > 3) return false;
    for (char ch : oct)
      if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    if (std::stoi(std::string(oct)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) return fail(bad(text, "empty"));
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c)))
      return fail(bad(text, "contains whitespace or control characters"));
  if (text.size() == 64 && all_lower_hex(text))
    return fail(bad(text, "a 64-character hexadecimal string is an image ID, not a reference"));

  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view dg = rest.substr(at + 1);
    if (dg.find('@') != std::string_view::npos) return fail(bad(text, "more than one '@'"));
    if (auto st = validate_digest(dg); !st) return fail(bad(text, st.error().message));
    ref.digest = std::string(dg);
    rest = rest.substr(0, at);
  }
  // A tag follows the last ':' after the last '/'.
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) return fail(bad(text, "invalid tag \"" + std::string(tag) + "\""));
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail(bad(text, "missing repository name"));

  // Domain: the first component, when it looks like a host (has '.' or ':',
  // is localhost, or has uppercase letters) and more components follow.
  std::string_view path = rest;
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, slash);
    bool has_upper = false;
    for (char c : first) has_upper |= (c >= 'A' && c <= 'Z');
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost" || first.front() == '[' || has_upper) {
      if (!valid_domain(first)) return fail(bad(text, "invalid registry host \"" + std::string(first) + "\""));
      ref.domain = std::string(first);
      path = rest.substr(slash + 1);
    }
  }
  if (ref.domain.empty()) ref.domain = std::string(kDockerDomain);
  if (ref.domain == "index.docker.io") ref.domain = std::string(kDockerDomain);

  if (path.empty()) return fail(bad(text, "missing repository name"));
  size_t start = 0;
  while (true) {
    size_t s = path.find('/', start);
    std::string_view comp = path.substr(start, s == std::string_view::npos ? std::string_view::npos : s - start);
    if (comp.empty()) return fail(bad(text, "empty path component"));
    if (!valid_component(comp)) {
      for (char c : comp)
        if (c >= 'A' && c <= 'Z') return fail(bad(text, "repository name must be lowercase"));
      return fail(bad(text, "invalid repository name component \"" + std::string(comp) + "\""));
    }
    if (s == std::string_view::npos) break;
    start = s + 1;
  }
  ref.path = std::string(path);
  if (ref.domain == kDockerDomain && ref.path.find('/') == std::string::npos) ref.path = "library/" + ref.path;
  if (ref.name().size() > kMaxNameLength)
    return fail(bad(text, "repository name longer than 255 characters"));
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace ecsd::image
