// Where ecsd-shim lives. Packages install it as an internal helper in
// /usr/libexec/ecsd/; a build tree has it next to ecsd and ecsd-runtime.
// Lookup order (first that exists and is executable wins):
//   1. $ECSD_SHIM (taken as given; an error if it is not executable)
//   2. <directory of the calling binary>/ecsd-shim
//   3. /usr/libexec/ecsd/ecsd-shim
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace ecsd::runtime {

inline constexpr const char* kLibexecShim = "/usr/libexec/ecsd/ecsd-shim";

// The candidates in lookup order for the given environment value (nullptr:
// unset) and directory of the calling binary (empty: unknown). Pure.
std::vector<std::string> shim_candidates(const char* env_shim, const std::string& self_dir);

// Directory of /proc/self/exe ("" if it cannot be read).
std::string self_exe_dir();

// Resolves the shim with the order above; the error lists every path tried.
Result<std::string> find_shim();
Result<std::string> find_shim(const char* env_shim, const std::string& self_dir);

}  // namespace ecsd::runtime
