// `ecsd doctor`: checks that this host can run ecsd and, when a cluster is
// configured, reach ECS. Each check says what it found and, when something is
// missing, the fix. Required checks that fail make the exit code 1.
//
// The evaluators (check_*) are pure functions over what was read from the
// host, so they are unit-tested without root; run_doctor() gathers the inputs.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/env_file.h"
#include "cgroups/cgroup.h"
#include "common/error.h"

namespace ecsd::host {

enum class Level { ok, warn, fail, skip };
const char* level_name(Level l);

struct Check {
  std::string name;
  Level level = Level::ok;
  std::string detail;
  std::string fix;  // empty when nothing to do
};

// --- pure evaluators ---
Check check_kernel(const std::string& release);  // "6.1.0-18-amd64"
// /proc/self/ns entries present (names such as "mnt", "pid").
Check check_namespaces(const std::vector<std::string>& present);
Check check_cgroups(const Result<cgroups::Hierarchy>& h);
// /proc/filesystems text; whether an overlay module file exists for modprobe.
Check check_overlay(const std::string& proc_filesystems, bool module_available);
// /proc/sys/kernel/seccomp/actions_avail ("" if missing); "Seccomp:" present in /proc/self/status.
Check check_seccomp(const std::string& actions_avail, bool status_has_seccomp);
// /proc/sys/user/max_user_namespaces ("" if missing).
Check check_user_namespaces(const std::string& max_user_namespaces);
// Outcome of opening libnftables and listing tables ("" = fine), whether root.
Check check_nftables(const std::string& error, bool is_root);
Check check_disk(const std::string& path, uint64_t free_bytes, uint64_t total_bytes);
// skew = server Date - local clock, in seconds; nullopt when unknown.
Check check_clock(const std::string& source, std::optional<int64_t> skew_seconds, const std::string& error);
Check check_shim(const Result<std::string>& shim);

// "Tue, 01 Dec 2026 13:20:00 GMT" (RFC 7231 IMF-fixdate; also RFC 850 and
// asctime forms) -> seconds since the epoch.
std::optional<time_t> parse_http_date(const std::string& s);

// Which credentials the AWS chain would find first ("" when none): pure over
// the configuration and whether the shared credentials file names the profile.
std::string credential_source(const EnvMap& cfg, bool shared_file_has_profile, const std::string& imds_role);

int exit_code(const std::vector<Check>& checks);
std::string format_report(const std::vector<Check>& checks);

// --- gathering ---
struct DoctorOptions {
  std::string config_file = "/etc/ecs/ecs.config";
  std::string data_dir = "/var/lib/ecs/data";
  bool network = true;      // IMDS, credentials, endpoint, clock checks
  long timeout_ms = 2000;   // per network request
};

std::vector<Check> run_doctor(const DoctorOptions& o, const EnvMap& cfg);

}  // namespace ecsd::host
