// linux.resources -> cgroups::Resources, with the checks that catch limits
// the kernel would accept but no container could live with. Pure logic.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgroups/cgroup.h"
#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

// Smallest memory limit accepted (Docker's minimum is 6 MiB).
inline constexpr int64_t kMinMemoryLimit = 6 * 1024 * 1024;

// Errors name the field: "linux.resources.memory.limit: 1 is below the
// minimum of 6291456 bytes". disableOOMKiller is refused. Device cgroup
// rules (linux.resources.devices) are written by launch() on v1/hybrid
// (devices controller); on v2 (which needs a BPF device program) they are
// not enforced yet.
Result<cgroups::Resources> map_resources(const std::optional<Resources>& r);

// linux.resources.devices as cgroup v1 rule lines, in order, each with the
// file it goes to: {"devices.deny", "a *:* rwm"}, {"devices.allow",
// "c 1:3 rwm"}. A missing type is "a", a missing major/minor "*", a missing
// access "rwm".
std::vector<std::pair<std::string, std::string>> device_rule_lines(const std::vector<DeviceCgroupRule>& rules);

// The rules a container's device cgroup gets, as runc builds them: the
// spec's linux.resources.devices in order, then "rwm" for every node in
// `nodes` (linux.devices plus the defaults), /dev/pts/* (136:*) and
// /dev/ptmx (5:2), and "m" (mknod) for any char and block device.
std::vector<DeviceCgroupRule> device_rules_for(const Spec& spec, const std::vector<Device>& nodes);

// The linux.resources field behind a cgroup file named in an error message
// ("... cpuset.cpus: Numerical result out of range" -> "linux.resources.cpu.cpus"),
// or "linux.resources" when none is recognised.
std::string resources_field_for_error(std::string_view message);

// spec.linux.cgroupsPath or "ecsd/<id>"; leading '/' dropped; ".." and the
// systemd "slice:prefix:name" form are errors.
Result<std::string> cgroup_path_for(const Spec& spec, std::string_view id);

}  // namespace ecsd::runtime
