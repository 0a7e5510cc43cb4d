// process.rlimits: names -> RLIMIT_*, checks against what this host allows
// (in the parent, before anything is created), applying them (in the child).
//
// Decision: a hard limit above the caller's current hard limit without
// CAP_SYS_RESOURCE is an error naming the rlimit, not a silent clamp.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

std::optional<int> rlimit_resource(std::string_view name);  // "RLIMIT_NOFILE" -> RLIMIT_NOFILE

struct ResolvedRlimit {
  int resource = 0;
  rlimit value{};
};

// Pure check of one rlimit. current_hard: the caller's hard limit;
// can_raise: the caller has CAP_SYS_RESOURCE.
Status check_rlimit(const Rlimit& r, uint64_t current_hard, bool can_raise);

// Validates every rlimit against this process's limits and capabilities.
Result<std::vector<ResolvedRlimit>> resolve_rlimits(const std::vector<Rlimit>& rlimits);

// setrlimit for each (child side; only system calls).
Status apply_rlimits(const std::vector<ResolvedRlimit>& rlimits);

// Whether the calling process has `cap` in its effective set (capget).
bool have_effective_cap(int cap);

}  // namespace ecsd::runtime
