// Docker's default seccomp profile is a TEMPLATE: its syscall entries carry
// includes/excludes by capability, architecture and minimum kernel version,
// and an archMap naming the sub-architectures of each native one. This
// resolves such a template into a concrete linux.seccomp section for one
// capability set, architecture and kernel, the way moby does:
//  - architectures: the template's list if given, else the archMap entry of
//    the target (x86_64 -> SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32);
//  - an entry is kept when every includes.caps is in `caps`, no excludes.caps
//    is, the target arch is in includes.arches (if any) and not in
//    excludes.arches, and kernel >= includes.minKernel (if any) and
//    kernel < excludes.minKernel (if any).
// Architectures may be named as Go does ("amd64", "arm64", "x86", "x32"),
// as uname does ("x86_64", "aarch64") or as libseccomp does ("SCMP_ARCH_X86_64").
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "runtime/capabilities.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// "6.18.0-amd64", "4.8", "5.10.102+" -> {6,18,0}, {4,8,0}, {5,10,102}.
Result<KernelVersion> parse_kernel_version(std::string_view text);
// From uname(2).
Result<KernelVersion> running_kernel_version();

// Canonical (Go-style) arch name: "amd64", "x86", "x32", "arm64", "arm",
// "ppc64le", "s390x", "riscv64", ...; nullopt if unknown.
std::optional<std::string> canonical_arch(std::string_view name);
// This build's architecture, canonical ("amd64" on x86_64).
std::string native_arch();
// "SCMP_ARCH_X86_64" for "amd64" (any accepted spelling); nullopt if unknown.
std::optional<std::string> seccomp_arch_name(std::string_view arch);

// The embedded template (runtime/data/docker-default-seccomp.json).
std::string_view docker_default_seccomp_template();

// Resolves any template text; errors name the JSON path
// ("syscalls[17].includes.caps[0]: unknown capability \"CAP_FOO\"").
Result<Seccomp> resolve_seccomp_template(std::string_view template_json, CapMask caps, std::string_view arch,
                                         KernelVersion kernel);

// Docker's default profile for `caps` (normally the container's bounding
// set), `arch` (empty: native) and `kernel` (absent: the running kernel).
Result<Seccomp> docker_default_seccomp(CapMask caps, std::string_view arch = {},
                                       std::optional<KernelVersion> kernel = std::nullopt);

}  // namespace ecsd::runtime
