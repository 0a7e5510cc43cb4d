#include "agent/engine/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

namespace ecsd::engine {

std::optional<LogLine> parse_log_record(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("log") || !j["log"].is_string()) return std::nullopt;
  return LogLine{j.value("stream", "stdout"), j["log"].get<std::string>(), j.value("time", "")};
}

size_t LogFollower::poll(const std::function<void(const LogLine&)>& emit) {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return 0;
  if (static_cast<uint64_t>(st.st_size) < offset_) {  // truncated by rotation
    offset_ = 0;
    partial_.clear();
  }
  size_t count = 0;
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd.get(), buf, sizeof buf, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    offset_ += static_cast<uint64_t>(n);
    partial_.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = partial_.find('\n', start)) != std::string::npos) {
      if (auto r = parse_log_record(std::string_view(partial_).substr(start, nl - start))) {
        emit(*r);
        ++count;
      }
      start = nl + 1;
    }
    partial_.erase(0, start);
  }
  return count;
}

void read_all_logs(const std::string& path, const std::function<void(const LogLine&)>& emit, uint64_t* end_offset) {
  for (int i = 9; i >= 1; --i) {
    std::string p = path + "." + std::to_string(i);
    if (::access(p.c_str(), R_OK) != 0) continue;
    LogFollower f(p);
    f.poll(emit);
  }
  LogFollower f(path);
  f.poll(emit);
  if (end_offset) *end_offset = f.offset();
}

}  // namespace ecsd::engine
