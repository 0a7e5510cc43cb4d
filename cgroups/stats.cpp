// Cgroup::stats: read the interface files, parse them with stats_from_v1/v2.
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {

// The file's content, nullopt when the file (or the hierarchy) is absent.
Result<std::optional<std::string>> read_optional(const std::string& dir, const char* file) {
  if (dir.empty()) return std::optional<std::string>();
  auto text = read_file(dir + "/" + file);
  if (text) return std::optional<std::string>(std::move(*text));
  if (text.error().code == ENOENT) return std::optional<std::string>();
  return std::unexpected(text.error());
}

}  // namespace

#define ECSD_READ_INTO(field, dir, file)                      \
  do {                                                        \
    auto v_ = read_optional(dir, file);                       \
    if (!v_) return fail(v_.error().with_context(ctx));       \
    field = std::move(*v_);                                   \
  } while (0)

Result<Stats> Cgroup::stats() const {
  const std::string ctx = "reading stats of cgroup " + rel_path_;
  Result<Stats> s;
  if (hierarchy_.layout() == Layout::kV2) {
    std::string dir = dirs().empty() ? std::string() : dirs().front();
    StatsInputV2 in;
    ECSD_READ_INTO(in.cpu_stat, dir, "cpu.stat");
    ECSD_READ_INTO(in.memory_current, dir, "memory.current");
    ECSD_READ_INTO(in.memory_peak, dir, "memory.peak");
    ECSD_READ_INTO(in.memory_max, dir, "memory.max");
    ECSD_READ_INTO(in.memory_stat, dir, "memory.stat");
    ECSD_READ_INTO(in.memory_events, dir, "memory.events");
    ECSD_READ_INTO(in.pids_current, dir, "pids.current");
    ECSD_READ_INTO(in.pids_max, dir, "pids.max");
    s = stats_from_v2(in);
  } else {
    std::string acct = dir_for("cpuacct"), mem = dir_for("memory"), pids = dir_for("pids");
    StatsInputV1 in;
    ECSD_READ_INTO(in.cpuacct_usage, acct, "cpuacct.usage");
    ECSD_READ_INTO(in.cpuacct_usage_user, acct, "cpuacct.usage_user");
    ECSD_READ_INTO(in.cpuacct_usage_sys, acct, "cpuacct.usage_sys");
    ECSD_READ_INTO(in.cpuacct_stat, acct, "cpuacct.stat");
    ECSD_READ_INTO(in.memory_usage, mem, "memory.usage_in_bytes");
    ECSD_READ_INTO(in.memory_max_usage, mem, "memory.max_usage_in_bytes");
    ECSD_READ_INTO(in.memory_limit, mem, "memory.limit_in_bytes");
    ECSD_READ_INTO(in.memory_stat, mem, "memory.stat");
    ECSD_READ_INTO(in.memory_oom_control, mem, "memory.oom_control");
    ECSD_READ_INTO(in.pids_current, pids, "pids.current");
    ECSD_READ_INTO(in.pids_max, pids, "pids.max");
    s = stats_from_v1(in, ::sysconf(_SC_CLK_TCK));
  }
  if (!s) return fail(s.error().with_context(ctx));
  return s;
}

#undef ECSD_READ_INTO

}  // namespace ecsd::cgroups
