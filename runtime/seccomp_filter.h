// Seccomp: compiling an OCI linux.seccomp section with libseccomp into a BPF
// program (in the parent, before clone: allocation and libseccomp are not
// used in the container child), and loading that program in the child.
//
// CONTRACT shared across runtime/: extend, do not break.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

struct CompiledSeccomp {
  std::vector<sock_filter> program;  // classic BPF, ready for SECCOMP_SET_MODE_FILTER
  unsigned int flags = 0;            // SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
  bool empty() const { return program.empty(); }
};

// Errors name the syscall, action or architecture that was wrong:
// "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"".
// Unknown syscall names on this architecture are skipped (as runc does).
Result<CompiledSeccomp> compile_seccomp(const Seccomp& s);

// Loads a compiled program into the calling thread with seccomp(2); uses only
// system calls (safe in the container child after clone). Requires
// no_new_privs or CAP_SYS_ADMIN.
Status load_seccomp(const CompiledSeccomp& c);

}  // namespace ecsd::runtime
