// Pure evaluators of `ecsd doctor` (agent/host/doctor.h).
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "agent/host/doctor.h"

namespace ecsd::host {

namespace {

Check make(std::string name, Level l, std::string detail, std::string fix = "") {
  return Check{std::move(name), l, std::move(detail), std::move(fix)};
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1ull << 30));
  else std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(b) / (1ull << 20));
  return buf;
}

}  // namespace

const char* level_name(Level l) {
  switch (l) {
    case Level::ok: return "ok";
    case Level::warn: return "warn";
    case Level::fail: return "FAIL";
    case Level::skip: return "skip";
  }
  return "?";
}

Check check_kernel(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2)
    return make("kernel", Level::warn, "cannot parse kernel release '" + release + "'");
  int v = major * 1000 + minor;
  if (v < 3018)
    return make("kernel", Level::fail, "Linux " + release + " is too old (overlayfs needs 3.18)",
                "use a kernel >= 4.14 (Amazon Linux 2023 ships 6.1)");
  if (v < 4014)
    return make("kernel", Level::warn, "Linux " + release + " is older than 4.14, which ecsd is tested on",
                "use a kernel >= 4.14");
  return make("kernel", Level::ok, "Linux " + release);
}

Check check_namespaces(const std::vector<std::string>& present) {
  std::vector<std::string> missing;
  for (const char* n : {"mnt", "uts", "ipc", "pid", "net"})
    if (std::find(present.begin(), present.end(), n) == present.end()) missing.push_back(n);
  if (!missing.empty()) {
    std::string m;
    for (const auto& s : missing) m += (m.empty() ? "" : ", ") + s;
    return make("namespaces", Level::fail, "missing namespace support: " + m,
                "boot a kernel built with CONFIG_NAMESPACES and the missing CONFIG_*_NS options");
  }
  bool cg = std::find(present.begin(), present.end(), "cgroup") != present.end();
  return make("namespaces", Level::ok, std::string("mnt uts ipc pid net") + (cg ? " cgroup" : " (no cgroup ns)"));
}

Check check_cgroups(const Result<cgroups::Hierarchy>& h) {
  if (!h)
    return make("cgroups", Level::fail, h.error().message,
                "mount cgroup2 on /sys/fs/cgroup (systemd does this; boot with systemd.unified_cgroup_hierarchy=1)");
  std::vector<std::string> missing;
  for (const char* c : {"cpu", "memory", "pids"})
    if (!h->mount_for(c)) missing.push_back(c);
  std::string layout(cgroups::to_string(h->layout()));
  if (!missing.empty()) {
    std::string m;
    for (const auto& s : missing) m += (m.empty() ? "" : ", ") + s;
    return make("cgroups", Level::fail, layout + " layout without controller(s): " + m,
                h->layout() == cgroups::Layout::kV2
                    ? "enable them in /sys/fs/cgroup/cgroup.subtree_control (systemd: Delegate=yes in the unit)"
                    : "mount the missing v1 controllers or boot with cgroup v2");
  }
  return make("cgroups", Level::ok, layout + " layout; cpu, memory and pids controllers available");
}

Check check_overlay(const std::string& fs, bool module_available) {
  size_t pos = 0;
  while (pos < fs.size()) {
    size_t nl = fs.find('\n', pos);
    if (nl == std::string::npos) nl = fs.size();
    std::string_view line(fs.data() + pos, nl - pos);
    pos = nl + 1;
    auto tab = line.rfind('\t');
    std::string_view name = tab == std::string_view::npos ? line : line.substr(tab + 1);
    if (name == "overlay") return make("overlayfs", Level::ok, "overlay filesystem available");
  }
  if (module_available)
    return make("overlayfs", Level::warn, "overlay module not loaded (it loads on first mount)",
                "modprobe overlay; echo overlay > /etc/modules-load.d/ecsd.conf");
  return make("overlayfs", Level::fail, "the kernel has no overlay filesystem",
              "install the kernel's extra modules (overlay.ko) or use a kernel with CONFIG_OVERLAY_FS");
}

Check check_seccomp(const std::string& actions_avail, bool status_has_seccomp) {
  if (!status_has_seccomp)
    return make("seccomp", Level::fail, "the kernel has no seccomp (no Seccomp: in /proc/self/status)",
                "use a kernel with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER");
  if (actions_avail.empty())
    return make("seccomp", Level::warn, "seccomp present, but /proc/sys/kernel/seccomp/actions_avail is missing",
                "use a kernel >= 4.14 for full seccomp filter support");
  if (actions_avail.find("errno") == std::string::npos)
    return make("seccomp", Level::fail, "seccomp filters cannot return errno (" + actions_avail + ")",
                "use a kernel with CONFIG_SECCOMP_FILTER");
  return make("seccomp", Level::ok, "filters with actions: " + actions_avail);
}

Check check_user_namespaces(const std::string& max) {
  if (max.empty())
    return make("user namespaces", Level::warn, "not available (no /proc/sys/user/max_user_namespaces)",
                "not needed for ECS tasks; build the kernel with CONFIG_USER_NS for rootless tools");
  if (max == "0")
    return make("user namespaces", Level::warn, "disabled (user.max_user_namespaces = 0)",
                "not needed for ECS tasks; sysctl -w user.max_user_namespaces=15000 to enable");
  return make("user namespaces", Level::ok, "enabled (max " + max + ")");
}

Check check_nftables(const std::string& error, bool is_root) {
  if (error.empty()) return make("nftables", Level::ok, "nf_tables usable (libnftables)");
  if (!is_root)
    return make("nftables", Level::warn, "cannot check without root: " + error, "run ecsd doctor as root");
  return make("nftables", Level::fail, error,
              "load nf_tables (modprobe nf_tables nft_nat nft_chain_nat) or use a kernel with CONFIG_NF_TABLES");
}

Check check_disk(const std::string& path, uint64_t free_bytes, uint64_t total_bytes) {
  std::string d = human_bytes(free_bytes) + " free of " + human_bytes(total_bytes) + " on " + path;
  if (free_bytes < (512ull << 20))
    return make("disk space", Level::fail, d, "free space or grow the volume holding " + path + " (images need room)");
  if (free_bytes < (2ull << 30))
    return make("disk space", Level::warn, d, "keep at least 2 GiB free for images (ECS_IMAGE_CLEANUP_INTERVAL)");
  return make("disk space", Level::ok, d);
}

Check check_clock(const std::string& source, std::optional<int64_t> skew, const std::string& error) {
  if (!skew)
    return make("clock", Level::warn, "skew unknown: " + (error.empty() ? "no Date header from " + source : error),
                "check that chrony or systemd-timesyncd is running");
  int64_t a = *skew < 0 ? -*skew : *skew;
  std::string d = "local clock is " + std::to_string(a) + " s " + (*skew > 0 ? "behind " : "ahead of ") + source;
  if (a == 0) d = "in step with " + source;
  // SigV4 rejects requests more than 5 minutes off.
  if (a > 300) return make("clock", Level::fail, d, "sync the clock (chronyc makestep; enable chronyd): AWS rejects signatures more than 5 minutes off");
  if (a > 30) return make("clock", Level::warn, d, "enable time sync (chronyd or systemd-timesyncd)");
  return make("clock", Level::ok, d);
}

Check check_shim(const Result<std::string>& shim) {
  if (!shim)
    return make("ecsd-shim", Level::fail, shim.error().message,
                "reinstall the ecsd package (it installs /usr/libexec/ecsd/ecsd-shim) or set ECSD_SHIM");
  return make("ecsd-shim", Level::ok, *shim);
}

std::optional<time_t> parse_http_date(const std::string& s) {
  static const char* const kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %e %H:%M:%S %Y",       // asctime
  };
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), f, &tm);
    if (!end) continue;
    while (*end == ' ') ++end;
    if (*end != '\0') continue;
    return timegm(&tm);
  }
  return std::nullopt;
}

std::string credential_source(const EnvMap& cfg, bool shared_file_has_profile, const std::string& imds_role) {
  auto get = [&](const char* k) {
    auto it = cfg.find(k);
    return it == cfg.end() ? std::string() : it->second;
  };
  if (!get("AWS_ACCESS_KEY_ID").empty() && !get("AWS_SECRET_ACCESS_KEY").empty()) return "environment";
  if (shared_file_has_profile) return "shared credentials file";
  if (!imds_role.empty()) return "instance profile (" + imds_role + ")";
  return "";
}

int exit_code(const std::vector<Check>& checks) {
  for (const auto& c : checks)
    if (c.level == Level::fail) return 1;
  return 0;
}

std::string format_report(const std::vector<Check>& checks) {
  std::string out;
  int fails = 0, warns = 0;
  for (const auto& c : checks) {
    char head[64];
    std::snprintf(head, sizeof head, "[%-4s] %-16s ", level_name(c.level), c.name.c_str());
    out += head + c.detail + "\n";
    if (!c.fix.empty() && (c.level == Level::fail || c.level == Level::warn)) out += "       fix: " + c.fix + "\n";
    fails += c.level == Level::fail;
    warns += c.level == Level::warn;
  }
  if (fails) out += std::to_string(fails) + " required check(s) failed, " + std::to_string(warns) + " warning(s)\n";
  else out += "all required checks passed, " + std::to_string(warns) + " warning(s)\n";
  return out;
}

}  // namespace ecsd::host
