// Linux capabilities: names, sets, Docker's defaults, what "privileged" means
// on this host, and applying a set to the current process.
//
// CONTRACT shared across runtime/: extend, do not break.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

// "CAP_CHOWN" <-> 0 ... "CAP_CHECKPOINT_RESTORE" <-> 40. Names are accepted
// with or without the "CAP_" prefix, in any case; returned with the prefix.
std::optional<int> capability_from_name(std::string_view name);
std::string capability_name(int cap);
int last_known_capability();

// A set as a bit mask (bit n = capability n).
using CapMask = uint64_t;
Result<CapMask> caps_to_mask(const std::vector<std::string>& names);
std::vector<std::string> mask_to_caps(CapMask mask);

// Docker's 14 default capabilities for unprivileged containers.
std::vector<std::string> docker_default_capabilities();

// Docker's --cap-add / --cap-drop rules over a base set, "ALL" allowed in
// both (moby TweakCapabilities): add holds ALL -> `all` minus drop; else drop
// holds ALL -> exactly add; else (base minus drop) plus add. `all` is the set
// that "ALL" means (the host's bounding set). Unknown names are errors, and so
// is adding a capability outside `all`. Result: "CAP_*" names ordered by number.
Result<std::vector<std::string>> adjust_capabilities(const std::vector<std::string>& base,
                                                     const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop,
                                                     CapMask all);

// Parses "CapBnd:\t000001fffeffffff" out of /proc/<pid>/status text.
Result<CapMask> parse_status_cap_line(std::string_view status_text, std::string_view field);
// The bounding set of this process: every capability the host can grant.
// "Privileged" means this set, not a fixed list (root here lacks CAP_SYS_RESOURCE).
Result<CapMask> host_bounding_set();

// Applies the spec's sets to the calling process: drops everything not in
// bounding from the bounding set, then sets effective/permitted/inheritable
// with capset(2), then raises the ambient ones. Call after setresuid (with
// PR_SET_KEEPCAPS) and before seccomp/exec. Absent capabilities = empty sets.
Status apply_capabilities(const std::optional<Capabilities>& caps);

// The same in two steps, so the container child does no name lookups or
// allocation: compute the masks before clone, apply them after.
struct CapSets {
  CapMask bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};
// Errors name the set: "process.capabilities.bounding: unknown capability \"CAP_X\"".
Result<CapSets> cap_sets_from_spec(const std::optional<Capabilities>& caps);
// Only system calls (prctl, capset); no allocation unless it fails. Order:
// 1. PR_CAPBSET_DROP every capability <= the kernel's last one that is not in
//    bounding (needs CAP_SETPCAP, hence first); 2. capset(2) v3 for
//    effective/permitted/inheritable (bits the kernel does not know are
//    ignored); 3. PR_CAP_AMBIENT_CLEAR_ALL, then PR_CAP_AMBIENT_RAISE each
//    ambient one (each must be permitted and inheritable, else EPERM).
Status apply_capability_sets(const CapSets& sets);
// The kernel's last capability, probed with PR_CAPBSET_READ (no /proc needed).
int kernel_last_capability();

}  // namespace ecsd::runtime
