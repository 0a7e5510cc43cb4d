#include "runtime/image/auth_challenge.h"

#include <cctype>

namespace ecsd::image {

namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Cursor {
  std::string_view s;
  size_t i = 0;
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  bool done() const { return i >= s.size(); }
  std::string_view token() {
    size_t start = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    return s.substr(start, i - start);
  }
};

}  // namespace

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  auto bad = [&](const std::string& why) {
    return fail_invalid("invalid WWW-Authenticate header \"" + std::string(header) + "\": " + why);
  };
  std::vector<AuthChallenge> out;
  Cursor c{header};
  c.skip_ws();
  while (!c.done()) {
    if (header[c.i] == ',') {
      ++c.i;
      c.skip_ws();
      continue;
    }
    std::string_view scheme = c.token();
    if (scheme.empty()) return bad("expected an auth scheme at offset " + std::to_string(c.i));
    AuthChallenge ch;
    ch.scheme = lower(scheme);
    c.skip_ws();
    // auth-params: name=value or name="quoted", comma separated. A token
    // followed by something other than '=' starts the next challenge.
    while (!c.done()) {
      size_t save = c.i;
      std::string_view name = c.token();
      c.skip_ws();
      if (name.empty() || c.done() || header[c.i] != '=') {
        c.i = save;
        break;
      }
      ++c.i;  // '='
      c.skip_ws();
      std::string value;
      if (!c.done() && header[c.i] == '"') {
        ++c.i;
        bool closed = false;
        while (!c.done()) {
          char ch2 = header[c.i++];
          if (ch2 == '\\' && !c.done()) {
            value.push_back(header[c.i++]);
          } else if (ch2 == '"') {
            closed = true;
            break;
          } else {
            value.push_back(ch2);
          }
        }
        if (!closed) return bad("unterminated quoted string");
      } else {
        size_t start = c.i;
        while (!c.done() && header[c.i] != ',' && header[c.i] != ' ' && header[c.i] != '\t') ++c.i;
        value = std::string(header.substr(start, c.i - start));
      }
      ch.params[lower(name)] = value;
      c.skip_ws();
      if (!c.done() && header[c.i] == ',') {
        ++c.i;
        c.skip_ws();
      }
    }
    out.push_back(std::move(ch));
    c.skip_ws();
  }
  if (out.empty()) return bad("no challenge");
  return out;
}

}  // namespace ecsd::image
