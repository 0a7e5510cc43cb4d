// Docker json-file log format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
// Complete lines keep their "\n"; a line longer than 16 KiB is cut into
// 16 KiB pieces without "\n" (as dockerd does), and a last line without a
// newline at EOF is written as it is. Pure logic plus a tiny writer; no JSON
// library (the shim's monitor keeps its resident set small).
#pragma once

#include <time.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ecsd::runtime {

inline constexpr size_t kLogMaxLine = 16 * 1024;

// JSON string escaping as Go's encoding/json does it (HTML-safe: < > & as
// \u003c \u003e \u0026, U+2028/2029 escaped, invalid UTF-8 -> \ufffd).
void append_json_escaped(std::string& out, std::string_view s);
// Go's time.RFC3339Nano in UTC: trailing zeros of the fraction trimmed.
std::string rfc3339_nano(const timespec& t);
// One log line, including the trailing '\n' of the JSON record.
std::string format_log_record(std::string_view stream, std::string_view log, const timespec& t);

// Splits a byte stream into log messages.
class LineSplitter {
 public:
  // Feeds data; calls emit(std::string_view message) for every complete line
  // (with its '\n') and for every 16 KiB piece of an over-long line.
  template <typename Emit>
  void feed(std::string_view data, Emit&& emit) {
    while (!data.empty()) {
      size_t nl = data.find('\n');
      size_t room = kLogMaxLine - buf_.size();
      if (nl != std::string_view::npos && nl + 1 <= room) {
        buf_.append(data.substr(0, nl + 1));
        data.remove_prefix(nl + 1);
      } else if (data.size() >= room) {
        buf_.append(data.substr(0, room));
        data.remove_prefix(room);
      } else {
        buf_.append(data);
        return;
      }
      emit(std::string_view(buf_));
      buf_.clear();
    }
  }
  // At EOF: emits a trailing partial line, if any.
  template <typename Emit>
  void finish(Emit&& emit) {
    if (!buf_.empty()) emit(std::string_view(buf_));
    buf_.clear();
  }
  size_t pending() const { return buf_.size(); }

 private:
  std::string buf_;
};

}  // namespace ecsd::runtime
