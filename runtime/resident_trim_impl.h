// Template body of for_each_droppable_mapping (included by resident_trim.h).
#pragma once

#include <cstdint>
#include <string_view>

namespace ecsd::runtime {
namespace trim_detail {

inline uint64_t hex(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return v;
}

inline uint64_t dec(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace trim_detail

template <typename Drop>
size_t for_each_droppable_mapping(std::string_view smaps, Drop&& drop) {
  size_t total = 0;
  uint64_t start = 0, end = 0;
  bool candidate = false;
  auto flush = [&](bool anon_zero) {
    if (candidate && anon_zero && end > start) {
      drop(start, static_cast<size_t>(end - start));
      total += static_cast<size_t>(end - start);
    }
    candidate = false;
  };
  size_t pos = 0;
  while (pos < smaps.size()) {
    size_t nl = smaps.find('\n', pos);
    if (nl == std::string_view::npos) nl = smaps.size();
    std::string_view line = smaps.substr(pos, nl - pos);
    pos = nl + 1;
    size_t dash = line.find('-');
    size_t sp = line.find(' ');
    if (dash != std::string_view::npos && sp != std::string_view::npos && dash < sp && line.find(':') > sp) {
      // Header: "start-end perms offset dev inode path". A new header ends
      // the previous mapping without an Anonymous line: keep it.
      candidate = false;
      start = trim_detail::hex(line.substr(0, dash));
      end = trim_detail::hex(line.substr(dash + 1, sp - dash - 1));
      std::string_view rest = line.substr(sp + 1);
      std::string_view perms = rest.substr(0, 4);
      // fields: perms offset dev inode path
      size_t f = 0, i = 0;
      std::string_view inode;
      while (i < rest.size() && f < 4) {
        size_t j = rest.find(' ', i);
        if (j == std::string_view::npos) j = rest.size();
        if (f == 3) inode = rest.substr(i, j - i);
        i = j + 1;
        ++f;
      }
      bool file_backed = !inode.empty() && inode != "0";
      candidate = file_backed && perms.size() == 4 && perms[1] == '-' && perms[3] == 'p';
      continue;
    }
    if (line.rfind("Anonymous:", 0) == 0) flush(trim_detail::dec(line.substr(10)) == 0);
  }
  return total;
}

}  // namespace ecsd::runtime
