// The container's filesystem view: mounts from the spec inside the rootfs,
// /dev, pivot_root, then masked and read-only paths and a read-only root.
// plan_rootfs() runs in the parent (all parsing and validation); the rest
// runs in the container child, inside its new mount namespace.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cgroups/cgroup.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/mount_options.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

struct PlannedMount {
  std::string destination;  // cleaned container path
  std::string type;         // "" for binds
  std::string source;       // binds: absolute host path
  MountOptions opts;
  bool source_is_dir = true;  // binds
};

struct RootfsPlan {
  std::string rootfs;  // absolute host path
  unsigned long propagation = 0;
  bool apply_shared_after_pivot = false;
  bool readonly = false;
  std::vector<PlannedMount> mounts;
  std::vector<Device> devices;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::vector<std::pair<std::string, std::string>> sysctls;  // "/proc/sys/net/ipv4/ip_forward", "1"
  // cgroup mounts
  const cgroups::Hierarchy* hierarchy = nullptr;
  std::string cgroup_path;
  bool cgroupns = false;
  bool userns = false;
};

// Parses and checks mounts, devices, sysctls (errors name mounts[i] etc.).
// Bind sources are resolved against the bundle and must exist.
Result<RootfsPlan> plan_rootfs(const Spec& spec, const std::string& bundle);

// Child: propagation, bind of the rootfs, every mount, /dev, pivot_root.
// keep_fd (e.g. the exec fifo) is opened by the caller beforehand.
Status setup_rootfs(const RootfsPlan& plan);
// Child, after pivot_root: sysctls, masked paths, read-only paths, read-only /.
Status finish_rootfs(const RootfsPlan& plan);

// sysctl key "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward"; errors
// for keys with "/" or ".." components.
Result<std::string> sysctl_path(std::string_view key);

}  // namespace ecsd::runtime
