#include "runtime/json_log.h"

#include <cstdint>
#include <cstdio>

namespace ecsd::runtime {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u(std::string& out, unsigned cp) {
  out.append("\\u");
  out.push_back(kHex[(cp >> 12) & 0xf]);
  out.push_back(kHex[(cp >> 8) & 0xf]);
  out.push_back(kHex[(cp >> 4) & 0xf]);
  out.push_back(kHex[cp & 0xf]);
}

// Length of a valid UTF-8 sequence at s[i], or 0 if invalid.
size_t utf8_len(std::string_view s, size_t i, unsigned& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = b(i);
  size_t n;
  unsigned min;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '<': case '>': case '&': append_u(out, c); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            if (c == 0x7f) out.push_back(static_cast<char>(c)); else append_u(out, c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    unsigned cp = 0;
    size_t n = utf8_len(s, i, cp);
    if (n == 0) {
      out.append("\\ufffd");
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029)
      append_u(out, cp);
    else
      out.append(s.substr(i, n));
    i += n;
  }
}

std::string rfc3339_nano(const timespec& t) {
  struct tm tm;
  time_t secs = t.tv_sec;
  gmtime_r(&secs, &tm);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, static_cast<size_t>(n));
  if (t.tv_nsec > 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, "%09ld", static_cast<long>(t.tv_nsec));
    std::string_view f(frac, 9);
    while (!f.empty() && f.back() == '0') f.remove_suffix(1);
    out.push_back('.');
    out.append(f);
  }
  out.push_back('Z');
  return out;
}

std::string format_log_record(std::string_view stream, std::string_view log, const timespec& t) {
  std::string out;
  out.reserve(log.size() + 80);
  out.append("{\"log\":\"");
  append_json_escaped(out, log);
  out.append("\",\"stream\":\"");
  append_json_escaped(out, stream);
  out.append("\",\"time\":\"");
  out.append(rfc3339_nano(t));
  out.append("\"}\n");
  return out;
}

}  // namespace ecsd::runtime
