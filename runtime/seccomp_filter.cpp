// linux.seccomp -> classic BPF with libseccomp (in the parent), and loading
// the program with seccomp(2) (in the container child, system calls only).
#include "runtime/seccomp_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <set>

#include "common/unique_fd.h"
#include "runtime/seccomp_names.h"

namespace ecsd::runtime {

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Result<uint32_t> action_value(std::string_view name, std::optional<uint32_t> errno_ret, const std::string& path) {
  const uint32_t ret = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY")
    return fail_invalid(path + ": SCMP_ACT_NOTIFY is not supported (no seccomp agent)");
  return fail_invalid(path + ": unknown action " + quoted(name));
}

Result<scmp_compare> op_value(std::string_view name, const std::string& path) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return fail_invalid(path + ": unknown operator " + quoted(name));
}

Result<uint32_t> arch_value(std::string_view name, const std::string& path) {
  struct A {
    std::string_view name;
    uint32_t value;
  };
  static constexpr std::array<A, 20> kArches = {{{"SCMP_ARCH_NATIVE", SCMP_ARCH_NATIVE},
                                                  {"SCMP_ARCH_X86", SCMP_ARCH_X86},
                                                  {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
                                                  {"SCMP_ARCH_X32", SCMP_ARCH_X32},
                                                  {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
                                                  {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
                                                  {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
                                                  {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
                                                  {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
                                                  {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
                                                  {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
                                                  {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
                                                  {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
                                                  {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
                                                  {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
                                                  {"SCMP_ARCH_S390", SCMP_ARCH_S390},
                                                  {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
                                                  {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
                                                  {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
                                                  {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64}}};
  for (const auto& a : kArches)
    if (a.name == name) return a.value;
  if (is_known_seccomp_arch(name))
    return fail_invalid(path + ": architecture " + quoted(name) + " is not supported by this libseccomp");
  return fail_invalid(path + ": unknown architecture " + quoted(name));
}

struct Ctx {
  scmp_filter_ctx ctx = nullptr;
  ~Ctx() {
    if (ctx) seccomp_release(ctx);
  }
};

Error scmp_error(int rc, std::string_view what) { return Error::sys(-rc, what); }

}  // namespace

Result<CompiledSeccomp> compile_seccomp(const Seccomp& s) {
  const std::string base = "linux.seccomp";
  auto def = action_value(s.default_action, s.default_errno_ret, base + ".defaultAction");
  if (!def) return fail(def.error());

  CompiledSeccomp out;
  for (size_t i = 0; i < s.flags.size(); ++i) {
    const std::string path = base + ".flags[" + std::to_string(i) + "]";
    auto f = seccomp_flag_value(s.flags[i]);
    if (!f) return fail_invalid(path + ": unknown flag " + quoted(s.flags[i]));
    if (*f == SECCOMP_FILTER_FLAG_NEW_LISTENER) return fail_invalid(path + ": not supported");
    out.flags |= *f;
  }

  Ctx c;
  c.ctx = seccomp_init(*def);
  if (c.ctx == nullptr) return fail_invalid(base + ": seccomp_init failed");
  // We set no_new_privs ourselves and never call seccomp_load.
  if (int rc = seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    return fail(scmp_error(rc, "seccomp_attr_set CTL_NNP"));

  for (size_t i = 0; i < s.architectures.size(); ++i) {
    const std::string path = base + ".architectures[" + std::to_string(i) + "]";
    auto a = arch_value(s.architectures[i], path);
    if (!a) return fail(a.error());
    int rc = seccomp_arch_add(c.ctx, *a);
    if (rc < 0 && rc != -EEXIST) return fail(scmp_error(rc, "seccomp_arch_add " + s.architectures[i]));
  }

  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const auto& call = s.syscalls[i];
    const std::string path = base + ".syscalls[" + std::to_string(i) + "]";
    auto act = action_value(call.action, call.errno_ret, path + ".action");
    if (!act) return fail(act.error());
    if (*act == *def) continue;  // libseccomp refuses rules equal to the default action

    std::vector<scmp_arg_cmp> cmps;
    std::set<uint32_t> indexes;
    bool repeated_index = false;
    for (size_t a = 0; a < call.args.size(); ++a) {
      const auto& arg = call.args[a];
      const std::string apath = path + ".args[" + std::to_string(a) + "]";
      if (arg.index > 5) return fail_invalid(apath + ".index: must be in 0..5");
      auto op = op_value(arg.op, apath + ".op");
      if (!op) return fail(op.error());
      cmps.push_back(scmp_arg_cmp{arg.index, *op, arg.value, arg.value_two});
      repeated_index = repeated_index || !indexes.insert(arg.index).second;
    }

    for (const auto& name : call.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on these architectures: skip (as runc)
      auto add = [&](unsigned int count, const scmp_arg_cmp* args) -> Status {
        int rc = seccomp_rule_add_array(c.ctx, *act, nr, count, args);
        if (rc < 0 && rc != -EEXIST)
          return fail(scmp_error(rc, path + ": adding rule for " + name));
        return {};
      };
      if (!repeated_index) {
        ECSD_TRY(add(static_cast<unsigned int>(cmps.size()), cmps.data()));
      } else {
        // Conditions on the same argument cannot be ANDed in one libseccomp
        // rule; add one rule per condition (OR), as runc does.
        for (const auto& cmp : cmps) ECSD_TRY(add(1, &cmp));
      }
    }
  }

  UniqueFd fd(memfd_create("ecsd-seccomp-bpf", MFD_CLOEXEC));
  if (!fd) return fail_sys(errno, "memfd_create for seccomp export");
  if (int rc = seccomp_export_bpf(c.ctx, fd.get()); rc < 0) return fail(scmp_error(rc, "seccomp_export_bpf"));
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return fail_sys(errno, "lseek seccomp export memfd");
  if (size % sizeof(sock_filter) != 0) return fail_invalid("seccomp_export_bpf: odd program size");
  out.program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  size_t done = 0;
  char* buf = reinterpret_cast<char*>(out.program.data());
  while (done < static_cast<size_t>(size)) {
    ssize_t n = pread(fd.get(), buf + done, static_cast<size_t>(size) - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys(errno, "reading seccomp export memfd");
    if (n == 0) return fail_invalid("seccomp_export_bpf: short program");
    done += static_cast<size_t>(n);
  }
  if (out.program.empty()) return fail_invalid("seccomp_export_bpf: empty program");
  return out;
}

Status load_seccomp(const CompiledSeccomp& c) {
  if (c.program.empty()) return {};
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(c.program.size());
  prog.filter = const_cast<sock_filter*>(c.program.data());
  if (c.program.size() > 0xffff) return fail_invalid("seccomp program too long");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c.flags, &prog) < 0)
    return fail_sys(errno, "seccomp SECCOMP_SET_MODE_FILTER");
  return {};
}

}  // namespace ecsd::runtime
