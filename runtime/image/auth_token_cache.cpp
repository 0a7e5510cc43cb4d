#include "runtime/image/auth_token_cache.h"

#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ecsd::image {

std::optional<Clock::time_point> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 20) return std::nullopt;
  auto num = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
    return std::nullopt;
  size_t i = 19;
  int64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100000000;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      nanos += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  if (i >= s.size()) return std::nullopt;
  int64_t offset = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && s[i + 3] == ':') {
    int hh = num(i + 1, 2), mm = num(i + 4, 2);
    if (hh < 0 || mm < 0) return std::nullopt;
    offset = (hh * 3600 + mm * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  time_t t = timegm(&tm);
  return Clock::from_time_t(t - offset) +
         std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(nanos));
}

Result<BearerToken> parse_token_response(std::string_view text, Clock::time_point now) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("token response is not a JSON object");
  BearerToken out;
  if (j.contains("token") && j["token"].is_string()) out.token = j["token"].get<std::string>();
  if (out.token.empty() && j.contains("access_token") && j["access_token"].is_string())
    out.token = j["access_token"].get<std::string>();
  if (out.token.empty()) return fail_invalid("token response has neither \"token\" nor \"access_token\"");
  int64_t expires_in = 60;  // the distribution token spec's default
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
    expires_in = j["expires_in"].get<int64_t>();
    if (expires_in < 60) expires_in = 60;  // spec: less than 60 means 60
  }
  Clock::time_point issued = now;
  if (j.contains("issued_at") && j["issued_at"].is_string()) {
    if (auto t = parse_rfc3339(j["issued_at"].get<std::string>())) issued = *t;
  }
  out.expires_at = issued + std::chrono::seconds(expires_in);
  return out;
}

std::optional<std::string> TokenCache::get(const std::string& key, Clock::time_point now) const {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.expires_at) return std::nullopt;
  return it->second.token;
}

void TokenCache::put(const std::string& key, const BearerToken& token, Clock::time_point now) {
  auto lifetime = token.expires_at - now;
  auto margin = std::min<Clock::duration>(margin_, lifetime / 2);
  BearerToken stored{token.token, token.expires_at - margin};
  std::lock_guard lk(mu_);
  entries_[key] = stored;
}

void TokenCache::invalidate(const std::string& key) {
  std::lock_guard lk(mu_);
  entries_.erase(key);
}

}  // namespace ecsd::image
