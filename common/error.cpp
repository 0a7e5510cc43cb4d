#include "common/error.h"

#include <cstring>

namespace ecsd {

Error Error::sys(int code, std::string_view what, std::string_view path) {
  Error e;
  e.code = code;
  e.message.append(what);
  if (!path.empty()) {
    e.message.push_back(' ');
    e.message.append(path);
  }
  e.message.append(": ");
  e.message.append(std::strerror(code));
  return e;
}

Error Error::invalid(std::string message) {
  Error e;
  e.code = 0;
  e.message = std::move(message);
  return e;
}

Error& Error::context(std::string_view prefix) {
  std::string m;
  m.reserve(prefix.size() + 2 + message.size());
  m.append(prefix);
  m.append(": ");
  m.append(message);
  message = std::move(m);
  return *this;
}

Error Error::with_context(std::string_view prefix) const {
  Error e = *this;
  e.context(prefix);
  return e;
}

}  // namespace ecsd
