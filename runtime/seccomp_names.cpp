#include "runtime/seccomp_names.h"

#include <array>

namespace ecsd::runtime {

namespace {

template <size_t N>
bool in(const std::array<std::string_view, N>& table, std::string_view name) {
  for (auto n : table)
    if (n == name) return true;
  return false;
}

constexpr std::array<std::string_view, 9> kActions = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY"};

constexpr std::array<std::string_view, 7> kOps = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                                   "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                                   "SCMP_CMP_MASKED_EQ"};

constexpr std::array<std::string_view, 24> kArches = {
    "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",   "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",      "SCMP_ARCH_NATIVE"};

struct Flag {
  std::string_view name;
  unsigned int value;
};
// Values from linux/seccomp.h (spelled out: older headers lack the newer ones).
constexpr std::array<Flag, 6> kFlags = {{{"SECCOMP_FILTER_FLAG_TSYNC", 1u << 0},
                                         {"SECCOMP_FILTER_FLAG_LOG", 1u << 1},
                                         {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2},
                                         {"SECCOMP_FILTER_FLAG_NEW_LISTENER", 1u << 3},
                                         {"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", 1u << 4},
                                         {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5}}};

}  // namespace

bool is_known_seccomp_action(std::string_view name) { return in(kActions, name); }
bool is_known_seccomp_op(std::string_view name) { return in(kOps, name); }
bool is_known_seccomp_arch(std::string_view name) { return in(kArches, name); }

std::optional<unsigned int> seccomp_flag_value(std::string_view name) {
  for (const auto& f : kFlags)
    if (f.name == name) return f.value;
  return std::nullopt;
}

}  // namespace ecsd::runtime
