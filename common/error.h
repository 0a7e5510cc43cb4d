// Error values carried through std::expected. Every error says what was being
// done, on which path or object, and (for system calls) the errno.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>

namespace ecsd {

struct Error {
  int code = 0;         // errno, or 0 for errors that are not system-call failures
  std::string message;  // "open /sys/fs/cgroup/memory/x/memory.limit_in_bytes: Permission denied"

  // A system-call failure: "<what> <path>: strerror(code)".
  static Error sys(int code, std::string_view what, std::string_view path = {});
  // A logic / validation failure with no errno.
  static Error invalid(std::string message);

  // Prefix more context: "creating container abc: <message>".
  Error& context(std::string_view prefix);
  [[nodiscard]] Error with_context(std::string_view prefix) const;

  const std::string& str() const { return message; }
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }
inline std::unexpected<Error> fail_sys(int code, std::string_view what, std::string_view path = {}) {
  return std::unexpected<Error>(Error::sys(code, what, path));
}
inline std::unexpected<Error> fail_invalid(std::string message) {
  return std::unexpected<Error>(Error::invalid(std::move(message)));
}

}  // namespace ecsd

// Propagate an error from an expression returning Result/Status.
#define ECSD_TRY(expr)                                              \
  do {                                                              \
    auto&& ecsd_try_result_ = (expr);                               \
    if (!ecsd_try_result_) return std::unexpected(std::move(ecsd_try_result_).error()); \
  } while (0)
