// Reading json-file container logs ({"log":..,"stream":..,"time":..} lines)
// for `ecsd logs` and `ecsd run`: whole files, rotated siblings (NAME.log.N),
// and following a file as it grows (and is truncated by rotation).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ecsd::engine {

struct LogLine {
  std::string stream;  // "stdout" | "stderr"
  std::string log;     // with its trailing newline, if it had one
  std::string time;    // RFC 3339
};

// Parses one json-file record; nullopt when it is not one.
std::optional<LogLine> parse_log_record(std::string_view line);

// Follows one file from an offset; reads complete records only.
class LogFollower {
 public:
  explicit LogFollower(std::string path, uint64_t offset = 0) : path_(std::move(path)), offset_(offset) {}
  // Calls emit for every new record; returns how many.
  size_t poll(const std::function<void(const LogLine&)>& emit);
  const std::string& path() const { return path_; }
  uint64_t offset() const { return offset_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
};

// Every record of NAME.log.N ... NAME.log.1, then NAME.log (oldest first).
void read_all_logs(const std::string& path, const std::function<void(const LogLine&)>& emit, uint64_t* end_offset);

}  // namespace ecsd::engine
