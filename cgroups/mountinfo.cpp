// /proc/self/mountinfo -> cgroup mounts.
#include <set>
#include <string>

#include "cgroups/internal.h"

namespace ecsd::cgroups {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(sep, i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
        s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const std::set<std::string_view> kKnownV1Controllers = {
    "cpu",    "cpuacct",   "cpuset", "memory",  "devices", "freezer", "net_cls", "net_prio",
    "blkio",  "perf_event", "hugetlb", "pids",   "rdma",    "misc",    "debug"};

}  // namespace

Result<std::vector<Mount>> parse_mountinfo(std::string_view text) {
  std::vector<Mount> out;
  size_t lineno = 0;
  for (std::string_view line : split(text, '\n')) {
    ++lineno;
    if (line.empty()) continue;
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos)
      return fail_invalid("mountinfo line " + std::to_string(lineno) + ": no ' - ' separator");
    auto left = split(line.substr(0, dash), ' ');
    auto right = split(line.substr(dash + 3), ' ');
    if (left.size() < 6 || right.size() < 3)
      return fail_invalid("mountinfo line " + std::to_string(lineno) + ": too few fields");
    std::string_view fstype = right[0];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Mount m;
    m.dir = unescape(left[4]);
    if (fstype == "cgroup2") {
      m.unified = true;
    } else {
      for (std::string_view opt : split(right[2], ',')) {
        if (kKnownV1Controllers.count(opt) || opt.starts_with("name=")) m.controllers.emplace_back(opt);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Mount> mounts_under(const std::vector<Mount>& all, std::string_view root) {
  std::string prefix(root);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  std::vector<Mount> out;
  std::set<std::string> seen;  // controllers already taken, and "unified"
  for (const Mount& m : all) {
    bool under = m.dir == prefix || (m.dir.size() > prefix.size() && m.dir.starts_with(prefix) &&
                                     (prefix == "/" || m.dir[prefix.size()] == '/'));
    if (!under) continue;
    if (m.unified) {
      if (!seen.insert("\n unified").second) continue;
    } else {
      bool dup = false;
      for (const auto& c : m.controllers) dup = dup || seen.count(c);
      if (dup) continue;
      for (const auto& c : m.controllers) seen.insert(c);
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace ecsd::cgroups
