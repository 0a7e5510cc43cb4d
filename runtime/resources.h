// linux.resources -> cgroups::Resources, with the checks that catch limits
// the kernel would accept but no container could live with. Pure logic.
#pragma once

#include <string>

#include "cgroups/cgroup.h"
#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

// Smallest memory limit accepted (Docker's minimum is 6 MiB).
inline constexpr int64_t kMinMemoryLimit = 6 * 1024 * 1024;

// Errors name the field: "linux.resources.memory.limit: 1 is below the
// minimum of 6291456 bytes". disableOOMKiller is refused. Device cgroup
// rules (linux.resources.devices) are accepted but not enforced yet.
Result<cgroups::Resources> map_resources(const std::optional<Resources>& r);

// spec.linux.cgroupsPath or "ecsd/<id>"; leading '/' dropped; ".." and the
// systemd "slice:prefix:name" form are errors.
Result<std::string> cgroup_path_for(const Spec& spec, std::string_view id);

}  // namespace ecsd::runtime
