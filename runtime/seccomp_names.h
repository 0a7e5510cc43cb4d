// Names the OCI linux.seccomp section may use, without libseccomp: for
// validate_spec (pure) and for compile_seccomp (which maps them to values).
#pragma once

#include <optional>
#include <string_view>

namespace ecsd::runtime {

// Known "SCMP_ACT_*" names, including SCMP_ACT_NOTIFY (which compile_seccomp rejects).
bool is_known_seccomp_action(std::string_view name);
// "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
// "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ".
bool is_known_seccomp_op(std::string_view name);
// "SCMP_ARCH_X86_64", ... (every name of the runtime-spec, whether or not this
// libseccomp supports it).
bool is_known_seccomp_arch(std::string_view name);
// "SECCOMP_FILTER_FLAG_TSYNC" ... -> the kernel's flag value; nullopt if unknown.
std::optional<unsigned int> seccomp_flag_value(std::string_view name);

}  // namespace ecsd::runtime
