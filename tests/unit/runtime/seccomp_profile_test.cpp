#include <gtest/gtest.h>
#include <linux/capability.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/seccomp_profile.h"

namespace ecsd::runtime {
namespace {

using nlohmann::json;

CapMask defaults_mask() { return *caps_to_mask(docker_default_capabilities()); }

const KernelVersion k618{6, 18, 0};

// Does some entry name `syscall` with `action` (and no argument conditions if unconditional)?
bool has(const Seccomp& s, const std::string& syscall, const std::string& action = "SCMP_ACT_ALLOW",
         bool unconditional = true) {
  for (const auto& c : s.syscalls)
    if (c.action == action && (!unconditional || c.args.empty()))
      for (const auto& n : c.names)
        if (n == syscall) return true;
  return false;
}

TEST(SeccompProfile, EmbeddedTemplateIsTheDataFile) {
  std::ifstream f(std::string(ECSD_SOURCE_DIR) + "/runtime/data/docker-default-seccomp.json");
  std::stringstream ss;
  ss << f.rdbuf();
  ASSERT_FALSE(ss.str().empty());
  EXPECT_EQ(json::parse(docker_default_seccomp_template()), json::parse(ss.str()));
}

TEST(SeccompProfile, KernelVersions) {
  EXPECT_EQ(*parse_kernel_version("6.18.0-amd64"), (KernelVersion{6, 18, 0}));
  EXPECT_EQ(*parse_kernel_version("4.8"), (KernelVersion{4, 8, 0}));
  EXPECT_EQ(*parse_kernel_version("5.10.102+"), (KernelVersion{5, 10, 102}));
  EXPECT_FALSE(parse_kernel_version("6"));
  EXPECT_FALSE(parse_kernel_version("abc"));
  EXPECT_FALSE(parse_kernel_version(""));
  EXPECT_LT((KernelVersion{4, 4, 0}), (KernelVersion{4, 8, 0}));
  auto running = running_kernel_version();
  ASSERT_TRUE(running);
  EXPECT_GE(running->major, 3);
}

TEST(SeccompProfile, ArchNames) {
  EXPECT_EQ(canonical_arch("x86_64"), "amd64");
  EXPECT_EQ(canonical_arch("SCMP_ARCH_X86_64"), "amd64");
  EXPECT_EQ(canonical_arch("i686"), "x86");
  EXPECT_EQ(canonical_arch("aarch64"), "arm64");
  EXPECT_FALSE(canonical_arch("z80"));
  EXPECT_EQ(seccomp_arch_name("arm64"), "SCMP_ARCH_AARCH64");
#if defined(__x86_64__)
  EXPECT_EQ(native_arch(), "amd64");
#endif
}

TEST(SeccompProfile, DefaultCapsOnAmd64) {
  auto s = docker_default_seccomp(defaults_mask(), "amd64", k618);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(s->default_errno_ret, 1u);
  EXPECT_EQ(s->architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_TRUE(has(*s, "read"));
  EXPECT_TRUE(has(*s, "execve"));
  EXPECT_TRUE(has(*s, "arch_prctl"));   // includes.arches amd64
  EXPECT_TRUE(has(*s, "modify_ldt"));
  EXPECT_TRUE(has(*s, "chroot"));       // CAP_SYS_CHROOT is a default
  EXPECT_TRUE(has(*s, "ptrace"));       // minKernel 4.8
  EXPECT_FALSE(has(*s, "mount", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*s, "unshare", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*s, "setns", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*s, "reboot", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*s, "s390_runtime_instr", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*s, "arm_fadvise64_64", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*s, "clone"));  // only the conditional clone
  EXPECT_TRUE(has(*s, "clone3", "SCMP_ACT_ERRNO"));
  bool masked_clone = false;
  for (const auto& c : s->syscalls)
    if (c.names == std::vector<std::string>{"clone"} && c.args.size() == 1 && c.args[0].index == 0 &&
        c.args[0].op == "SCMP_CMP_MASKED_EQ" && c.args[0].value == 2114060288u)
      masked_clone = true;
  EXPECT_TRUE(masked_clone);
  for (const auto& c : s->syscalls)
    if (c.names == std::vector<std::string>{"clone3"}) EXPECT_EQ(c.errno_ret, 38u);
}

TEST(SeccompProfile, SysAdminAllowsMountAndUnshare) {
  auto s = docker_default_seccomp(defaults_mask() | (1ull << CAP_SYS_ADMIN), "amd64", k618);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_TRUE(has(*s, "mount"));
  EXPECT_TRUE(has(*s, "unshare"));
  EXPECT_TRUE(has(*s, "setns"));
  EXPECT_TRUE(has(*s, "clone"));
  EXPECT_FALSE(has(*s, "clone3", "SCMP_ACT_ERRNO", false));  // excluded with CAP_SYS_ADMIN
  for (const auto& c : s->syscalls)
    for (const auto& n : c.names) EXPECT_FALSE(n == "clone" && !c.args.empty()) << "conditional clone kept";
}

TEST(SeccompProfile, OtherArches) {
  auto arm = docker_default_seccomp(defaults_mask(), "arm64", k618);
  ASSERT_TRUE(arm) << arm.error().str();
  EXPECT_EQ(arm->architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  EXPECT_TRUE(has(*arm, "arm_fadvise64_64"));
  EXPECT_FALSE(has(*arm, "arch_prctl", "SCMP_ACT_ALLOW", false));
  EXPECT_FALSE(has(*arm, "modify_ldt", "SCMP_ACT_ALLOW", false));

  auto s390 = docker_default_seccomp(defaults_mask(), "s390x", k618);
  ASSERT_TRUE(s390);
  bool index1 = false, index0 = false;
  for (const auto& c : s390->syscalls)
    if (c.names == std::vector<std::string>{"clone"} && c.args.size() == 1) {
      index1 = index1 || c.args[0].index == 1;
      index0 = index0 || c.args[0].index == 0;
    }
  EXPECT_TRUE(index1);
  EXPECT_FALSE(index0);

  auto riscv = docker_default_seccomp(defaults_mask(), "riscv64", k618);
  ASSERT_TRUE(riscv);
  EXPECT_EQ(riscv->architectures, std::vector<std::string>{"SCMP_ARCH_RISCV64"});  // subArchitectures null
  EXPECT_FALSE(docker_default_seccomp(defaults_mask(), "z80", k618));
}

TEST(SeccompProfile, MinKernel) {
  auto old = docker_default_seccomp(defaults_mask(), "amd64", KernelVersion{4, 4, 0});
  ASSERT_TRUE(old);
  EXPECT_FALSE(has(*old, "ptrace", "SCMP_ACT_ALLOW", false));
  auto exact = docker_default_seccomp(defaults_mask(), "amd64", KernelVersion{4, 8, 0});
  ASSERT_TRUE(exact);
  EXPECT_TRUE(has(*exact, "ptrace"));
  // With CAP_SYS_PTRACE ptrace comes back on an old kernel.
  auto pt = docker_default_seccomp(defaults_mask() | (1ull << CAP_SYS_PTRACE), "amd64", KernelVersion{4, 4, 0});
  ASSERT_TRUE(pt);
  EXPECT_TRUE(has(*pt, "ptrace"));
}

TEST(SeccompProfile, CustomTemplateRules) {
  const char* tmpl = R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
    "syscalls":[
      {"name":"a1","action":"SCMP_ACT_ERRNO","excludes":{"minKernel":"5.0"}},
      {"names":["a2"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_KILL","CAP_CHOWN"]}},
      {"names":["a3"],"action":"SCMP_ACT_ERRNO","excludes":{"arches":["amd64"]}},
      {"names":["a4"],"action":"SCMP_ACT_LOG","comment":"kept","includes":{}}
    ]})";
  auto newk = resolve_seccomp_template(tmpl, 1ull << CAP_KILL, "x86_64", {5, 4, 0});
  ASSERT_TRUE(newk) << newk.error().str();
  EXPECT_EQ(newk->architectures, std::vector<std::string>{"SCMP_ARCH_X86_64"});
  ASSERT_EQ(newk->syscalls.size(), 1u);  // a1 excluded (>= 5.0), a2 needs both caps, a3 excluded on amd64
  EXPECT_EQ(newk->syscalls[0].names, std::vector<std::string>{"a4"});
  auto oldk = resolve_seccomp_template(tmpl, (1ull << CAP_KILL) | (1ull << CAP_CHOWN), "arm64", {4, 19, 0});
  ASSERT_TRUE(oldk);
  EXPECT_EQ(oldk->syscalls.size(), 4u);
}

TEST(SeccompProfile, TemplateErrorsNameThePath) {
  struct {
    const char* tmpl;
    const char* expect;
  } cases[] = {
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_FLY"]}}]})",
       "syscalls[0].includes.caps[0]: unknown capability \"CAP_FLY\""},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","bogus":1}]})",
       "syscalls[0].bogus: unknown field"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"new"}}]})",
       "syscalls[0].excludes.minKernel"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ALLOW"}]})", "syscalls[0].names: missing"},
      {R"({"syscalls":[]})", "defaultAction: missing"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":"x"}]})",
       "archMap[0].subArchitectures: expected an array"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/x"})", "listenerPath: not supported"},
      {"{", "invalid JSON"},
  };
  for (const auto& c : cases) {
    auto r = resolve_seccomp_template(c.tmpl, 0, "amd64", k618);
    ASSERT_FALSE(r) << c.tmpl;
    EXPECT_NE(r.error().str().find(c.expect), std::string::npos) << r.error().str() << " / want " << c.expect;
  }
}

}  // namespace
}  // namespace ecsd::runtime
