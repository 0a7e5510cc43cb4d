// Parsing of cgroup interface files and validation of relative paths.
#include <charconv>
#include <string>

#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {
// PAGE_COUNTER_MAX * 4096 rounded: what v1 reports for "no limit".
constexpr uint64_t kV1Unlimited = 0x7FFFFFFFFFFFF000ULL;
}  // namespace

Result<uint64_t> parse_u64(std::string_view text) {
  std::string_view t = trim(text);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size())
    return fail_invalid("not an unsigned number: '" + std::string(t) + "'");
  return v;
}

Result<uint64_t> parse_limit(std::string_view text) {
  std::string_view t = trim(text);
  if (t == "max") return UINT64_MAX;
  // v1 files report "-1" nowhere for memory, but cpu.cfs_quota_us does.
  if (t == "-1") return UINT64_MAX;
  auto v = parse_u64(t);
  if (!v) return v;
  if (*v >= kV1Unlimited) return UINT64_MAX;
  return *v;
}

std::map<std::string, uint64_t> parse_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(line);
    size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    std::string_view key = line.substr(0, sp);
    auto v = parse_u64(line.substr(sp + 1));
    if (!v) continue;
    out[std::string(key)] = *v;
  }
  return out;
}

Result<std::vector<pid_t>> parse_pids(std::string_view text) {
  std::vector<pid_t> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    auto v = parse_u64(line);
    if (!v || *v == 0 || *v > INT32_MAX) return fail_invalid("bad pid in cgroup.procs: '" + std::string(line) + "'");
    out.push_back(static_cast<pid_t>(*v));
  }
  return out;
}

Status validate_rel_path(std::string_view rel) {
  auto bad = [&](std::string why) {
    return fail_invalid("invalid cgroup path '" + std::string(rel) + "': " + why);
  };
  if (rel.empty()) return bad("empty");
  if (rel.front() == '/') return bad("must be relative");
  if (rel.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (rel.find('\n') != std::string_view::npos) return bad("contains a newline");
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string_view::npos) j = rel.size();
    std::string_view comp = rel.substr(i, j - i);
    if (comp.empty()) return bad("empty component");
    if (comp == "." || comp == "..") return bad("'" + std::string(comp) + "' component");
    if (comp.size() > 255) return bad("component longer than 255 bytes");
    i = j + 1;
  }
  return {};
}

}  // namespace ecsd::cgroups
