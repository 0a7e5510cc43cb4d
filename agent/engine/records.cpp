#include "agent/engine/records.h"

#include <sys/random.h>

#include <chrono>

namespace ecsd::engine {

std::string_view to_string(SourceKind k) { return k == SourceKind::acs ? "acs" : "task-definition"; }

ContainerRecord* TaskRecord::find(std::string_view name) {
  for (auto& c : containers)
    if (c.name == name) return &c;
  return nullptr;
}
const ContainerRecord* TaskRecord::find(std::string_view name) const {
  for (const auto& c : containers)
    if (c.name == name) return &c;
  return nullptr;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_task_id() {
  unsigned char b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

}  // namespace ecsd::engine
