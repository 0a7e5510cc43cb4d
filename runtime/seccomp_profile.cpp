#include "runtime/seccomp_profile.h"

#include <sys/utsname.h>

#include <array>
#include <cerrno>

#include "runtime/spec_json_fields.h"

namespace ecsd::runtime {

extern const std::string_view kDockerDefaultSeccompJson;  // generated from runtime/data/

using namespace jsonf;

namespace {

struct ArchName {
  std::string_view canonical;
  std::string_view scmp;
  std::array<std::string_view, 3> aliases;
};

constexpr std::array<ArchName, 18> kArchNames = {{
    {"amd64", "SCMP_ARCH_X86_64", {"x86_64", "x86-64", ""}},
    {"x86", "SCMP_ARCH_X86", {"386", "i386", "i686"}},
    {"x32", "SCMP_ARCH_X32", {"", "", ""}},
    {"arm64", "SCMP_ARCH_AARCH64", {"aarch64", "", ""}},
    {"arm", "SCMP_ARCH_ARM", {"armv7l", "armhf", ""}},
    {"mips", "SCMP_ARCH_MIPS", {"", "", ""}},
    {"mips64", "SCMP_ARCH_MIPS64", {"", "", ""}},
    {"mips64n32", "SCMP_ARCH_MIPS64N32", {"", "", ""}},
    {"mipsle", "SCMP_ARCH_MIPSEL", {"mipsel", "", ""}},
    {"mips64le", "SCMP_ARCH_MIPSEL64", {"mipsel64", "", ""}},
    {"mips64len32", "SCMP_ARCH_MIPSEL64N32", {"mipsel64n32", "", ""}},
    {"ppc", "SCMP_ARCH_PPC", {"", "", ""}},
    {"ppc64", "SCMP_ARCH_PPC64", {"", "", ""}},
    {"ppc64le", "SCMP_ARCH_PPC64LE", {"", "", ""}},
    {"s390", "SCMP_ARCH_S390", {"", "", ""}},
    {"s390x", "SCMP_ARCH_S390X", {"", "", ""}},
    {"riscv64", "SCMP_ARCH_RISCV64", {"", "", ""}},
    {"loong64", "SCMP_ARCH_LOONGARCH64", {"loongarch64", "", ""}},
}};

const ArchName* find_arch(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const auto& a : kArchNames) {
    if (a.canonical == name || a.scmp == name) return &a;
    for (auto alias : a.aliases)
      if (!alias.empty() && alias == name) return &a;
  }
  return nullptr;
}

struct Filter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::string min_kernel;
};

Status read_filter(const json& v, std::string_view path, Filter& f) {
  ECSD_TRY(check_object(v, path, {"caps", "arches", "minKernel"}));
  ECSD_TRY(read_member(v, path, "caps", f.caps));
  ECSD_TRY(read_member(v, path, "arches", f.arches));
  ECSD_TRY(read_member(v, path, "minKernel", f.min_kernel));
  return {};
}

struct Selection {
  CapMask caps;
  const ArchName* arch;
  KernelVersion kernel;
};

// Evaluates one includes (want = true) or excludes (want = false) filter:
// returns whether the entry survives it.
Result<bool> passes(const Filter& f, std::string_view path, const Selection& sel, bool includes) {
  for (size_t i = 0; i < f.caps.size(); ++i) {
    auto c = capability_from_name(f.caps[i]);
    if (!c)
      return fail(field_error(index_path(member_path(path, "caps"), i), "unknown capability \"" + f.caps[i] + "\""));
    const bool have = sel.caps & (CapMask{1} << *c);
    if (includes && !have) return false;  // every included cap is required
    if (!includes && have) return false;  // any excluded cap removes the entry
  }
  if (!f.arches.empty()) {
    bool listed = false;
    for (const auto& a : f.arches) listed = listed || find_arch(a) == sel.arch;
    if (includes && !listed) return false;
    if (!includes && listed) return false;
  }
  if (!f.min_kernel.empty()) {
    auto kv = parse_kernel_version(f.min_kernel);
    if (!kv) return fail(field_error(member_path(path, "minKernel"), kv.error().message));
    const bool new_enough = sel.kernel >= *kv;
    if (includes && !new_enough) return false;
    if (!includes && new_enough) return false;
  }
  return true;
}

}  // namespace

Result<KernelVersion> parse_kernel_version(std::string_view text) {
  KernelVersion kv;
  int* parts[] = {&kv.major, &kv.minor, &kv.patch};
  size_t pos = 0;
  int n = 0;
  for (; n < 3; ++n) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') break;
    long v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      v = v * 10 + (text[pos] - '0');
      if (v > 1000000) return fail_invalid("malformed kernel version \"" + std::string(text) + "\"");
      ++pos;
    }
    *parts[n] = static_cast<int>(v);
    if (pos < text.size() && text[pos] == '.' && n < 2)
      ++pos;
    else {
      ++n;
      break;
    }
  }
  if (n < 2) return fail_invalid("malformed kernel version \"" + std::string(text) + "\"");
  return kv;
}

Result<KernelVersion> running_kernel_version() {
  utsname u{};
  if (uname(&u) < 0) return fail_sys(errno, "uname");
  return parse_kernel_version(u.release);
}

std::optional<std::string> canonical_arch(std::string_view name) {
  if (const ArchName* a = find_arch(name)) return std::string(a->canonical);
  return std::nullopt;
}

std::string native_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
  return "x32";
#elif defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "x86";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loong64";
#else
  return "unknown";
#endif
}

std::optional<std::string> seccomp_arch_name(std::string_view arch) {
  if (const ArchName* a = find_arch(arch)) return std::string(a->scmp);
  return std::nullopt;
}

std::string_view docker_default_seccomp_template() { return kDockerDefaultSeccompJson; }

Result<Seccomp> resolve_seccomp_template(std::string_view template_json, CapMask caps, std::string_view arch,
                                         KernelVersion kernel) {
  const std::string arch_str = arch.empty() ? native_arch() : std::string(arch);
  const ArchName* target = find_arch(arch_str);
  if (!target) return fail_invalid("seccomp profile: unknown architecture \"" + arch_str + "\"");

  json j;
  try {
    j = json::parse(template_json.begin(), template_json.end());
  } catch (const json::exception& e) {
    return fail_invalid(std::string("seccomp profile: invalid JSON: ") + e.what());
  }
  auto ctx = [](Error e) { return fail(e.with_context("seccomp profile")); };

  Seccomp out;
  if (auto st = check_object(j, "", {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                                     "flags", "listenerPath", "listenerMetadata"});
      !st)
    return ctx(st.error());
  if (auto st = read_member(j, "", "defaultAction", out.default_action); !st) return ctx(st.error());
  if (out.default_action.empty()) return ctx(field_error("defaultAction", "missing"));
  if (auto st = read_member(j, "", "defaultErrnoRet", out.default_errno_ret); !st) return ctx(st.error());
  if (auto st = read_member(j, "", "flags", out.flags); !st) return ctx(st.error());
  for (const char* k : {"listenerPath", "listenerMetadata"}) {
    std::string v;
    if (auto st = read_member(j, "", k, v); !st) return ctx(st.error());
    if (!v.empty()) return ctx(field_error(k, "not supported (must be empty)"));
  }

  if (auto st = read_member(j, "", "architectures", out.architectures); !st) return ctx(st.error());
  if (out.architectures.empty()) {
    if (const json* am = member(j, "archMap")) {
      if (!am->is_array()) return ctx(type_error("archMap", "an array", *am));
      for (size_t i = 0; i < am->size(); ++i) {
        const std::string path = index_path("archMap", i);
        const json& e = (*am)[i];
        if (auto st = check_object(e, path, {"architecture", "subArchitectures"}); !st) return ctx(st.error());
        std::string main;
        std::vector<std::string> subs;
        if (auto st = read_member(e, path, "architecture", main); !st) return ctx(st.error());
        if (auto st = read_member(e, path, "subArchitectures", subs); !st) return ctx(st.error());
        if (main != target->scmp) continue;
        out.architectures.push_back(main);
        for (auto& s : subs) out.architectures.push_back(std::move(s));
        break;
      }
    }
  }

  const Selection sel{caps, target, kernel};
  const json* calls = member(j, "syscalls");
  if (calls != nullptr) {
    if (!calls->is_array()) return ctx(type_error("syscalls", "an array", *calls));
    for (size_t i = 0; i < calls->size(); ++i) {
      const std::string path = index_path("syscalls", i);
      const json& e = (*calls)[i];
      if (auto st = check_object(e, path, {"names", "name", "action", "errnoRet", "args", "comment", "includes",
                                           "excludes"});
          !st)
        return ctx(st.error());
      Filter inc, exc;
      if (const json* f = member(e, "includes"))
        if (auto st = read_filter(*f, member_path(path, "includes"), inc); !st) return ctx(st.error());
      if (const json* f = member(e, "excludes"))
        if (auto st = read_filter(*f, member_path(path, "excludes"), exc); !st) return ctx(st.error());

      // Parse the entry even when it is filtered out, so template errors show.
      SeccompSyscall call;
      std::string single, comment;
      if (auto st = read_member(e, path, "names", call.names); !st) return ctx(st.error());
      if (auto st = read_member(e, path, "name", single); !st) return ctx(st.error());
      if (!single.empty()) call.names.push_back(single);
      if (auto st = read_member(e, path, "comment", comment); !st) return ctx(st.error());
      if (auto st = read_member(e, path, "action", call.action); !st) return ctx(st.error());
      if (auto st = read_member(e, path, "errnoRet", call.errno_ret); !st) return ctx(st.error());
      if (const json* args = member(e, "args")) {
        auto st = read_array(*args, member_path(path, "args"), call.args,
                             [](const json& v, const std::string& p, SeccompArg& a) -> Status {
                               ECSD_TRY(check_object(v, p, {"index", "value", "valueTwo", "op"}));
                               ECSD_TRY(read_member(v, p, "index", a.index));
                               ECSD_TRY(read_member(v, p, "value", a.value));
                               ECSD_TRY(read_member(v, p, "valueTwo", a.value_two));
                               ECSD_TRY(read_member(v, p, "op", a.op));
                               return {};
                             });
        if (!st) return ctx(st.error());
      }
      if (call.names.empty()) return ctx(field_error(member_path(path, "names"), "missing"));
      if (call.action.empty()) return ctx(field_error(member_path(path, "action"), "missing"));

      auto in = passes(inc, member_path(path, "includes"), sel, true);
      if (!in) return ctx(in.error());
      auto ex = passes(exc, member_path(path, "excludes"), sel, false);
      if (!ex) return ctx(ex.error());
      if (*in && *ex) out.syscalls.push_back(std::move(call));
    }
  }
  return out;
}

Result<Seccomp> docker_default_seccomp(CapMask caps, std::string_view arch, std::optional<KernelVersion> kernel) {
  KernelVersion kv;
  if (kernel) {
    kv = *kernel;
  } else {
    auto running = running_kernel_version();
    if (!running) return fail(running.error());
    kv = *running;
  }
  return resolve_seccomp_template(docker_default_seccomp_template(), caps, arch, kv);
}

}  // namespace ecsd::runtime
