// Typed OCI runtime-spec configuration (config.json), the contract between
// whoever builds a container (the agent, an OCI bundle on disk) and the
// launcher. Only what ecsd implements is represented; parse_spec() rejects
// fields it does not know, naming them, instead of silently not enforcing them.
//
// CONTRACT shared across runtime/: extend, do not break.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/error.h"

namespace ecsd::runtime {

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

// Capability names as in the spec: "CAP_CHOWN".
struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Process {
  bool terminal = false;  // only false is supported
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;  // absent: no capabilities at all
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;  // accepted, must be empty (no LSM support yet)
  std::string selinux_label;     // accepted, must be empty
};

struct Root {
  std::string path;  // absolute after resolve against the bundle
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;    // "proc", "tmpfs", "bind", "sysfs", "cgroup", "devpts", "mqueue", ...
  std::string source;
  std::vector<std::string> options;  // "nosuid", "ro", "rbind", "mode=755", ...
};

struct Namespace {
  std::string type;  // "pid", "network", "mount", "ipc", "uts", "user", "cgroup"
  std::string path;  // join this one instead of creating (empty: create)
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Device {
  std::string type;  // "c", "b", "u", "p"
  std::string path;  // in the container
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // "a", "c", "b" (empty: "a")
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // "rwm"
};

struct MemoryResources {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::string cpus;
  std::string mems;
};

struct PidsResources {
  int64_t limit = 0;
};

struct Resources {
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::vector<DeviceCgroupRule> devices;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ...
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ...
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64"
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SeccompSyscall> syscalls;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::vector<Device> devices;
  std::string cgroups_path;  // relative to the hierarchy roots; empty: "ecsd/<id>"
  std::optional<Resources> resources;
  std::string rootfs_propagation;  // "", "private", "rprivate", "slave", "rslave", "shared", "rshared"
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::string mount_label;  // accepted, must be empty
};

struct Spec {
  std::string oci_version;
  Root root;
  Process process;
  std::string hostname;
  std::vector<Mount> mounts;
  Linux linux;
  std::map<std::string, std::string> annotations;

  bool has_namespace(std::string_view type) const;
  const Namespace* find_namespace(std::string_view type) const;
};

// Parses config.json text. Errors name the offending field with its JSON
// path: "process.user.uid: expected an unsigned 32-bit integer, got \"x\"",
// "linux.resources.blockIO: unknown field".
Result<Spec> parse_spec(std::string_view json_text);
Result<Spec> parse_spec_json(const nlohmann::json& j);
// Reads <bundle>/config.json and resolves root.path against the bundle.
Result<Spec> load_bundle_spec(const std::string& bundle_dir);
// Serialises back to OCI JSON (parse_spec(to_json(s)) == s).
nlohmann::json spec_to_json(const Spec& s);
// Semantic checks beyond types: absolute paths, known namespace types,
// mappings present when a user namespace is asked for, rlimit names, ...
Status validate_spec(const Spec& s);

}  // namespace ecsd::runtime
