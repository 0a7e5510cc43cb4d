#include <gtest/gtest.h>

#include <functional>

#include "runtime/spec.h"

namespace ecsd::runtime {
namespace {

Spec valid_spec() {
  Spec s;
  s.oci_version = "1.1.0";
  s.root.path = "/rootfs";
  s.process.args = {"/bin/sh"};
  s.process.env = {"PATH=/bin"};
  s.process.capabilities = Capabilities{{"CAP_KILL"}, {"CAP_KILL"}, {}, {"CAP_KILL"}, {}};
  s.process.rlimits = {{"RLIMIT_NOFILE", 1024, 1024}};
  s.hostname = "h";
  s.mounts = {{"/proc", "proc", "proc", {}}, {"/data", "bind", "/srv", {"rbind"}}};
  s.linux.namespaces = {{"pid", ""}, {"uts", ""}, {"mount", ""}};
  Resources r;
  r.memory = MemoryResources{};
  r.memory->limit = 1 << 20;
  s.linux.resources = r;
  Seccomp sec;
  sec.default_action = "SCMP_ACT_ERRNO";
  sec.syscalls = {{{"read"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, 1, 0, "SCMP_CMP_EQ"}}}};
  s.linux.seccomp = sec;
  return s;
}

struct Case {
  const char* expect;
  std::function<void(Spec&)> mutate;
};

TEST(SpecValidate, ValidSpecPasses) {
  auto st = validate_spec(valid_spec());
  EXPECT_TRUE(st) << st.error().str();
}

TEST(SpecValidate, ErrorsNameTheField) {
  const Case cases[] = {
      {"root.path: must not be empty", [](Spec& s) { s.root.path.clear(); }},
      {"process.args: must not be empty", [](Spec& s) { s.process.args.clear(); }},
      {"process.terminal", [](Spec& s) { s.process.terminal = true; }},
      {"process.cwd: must be an absolute path", [](Spec& s) { s.process.cwd = "work"; }},
      {"process.env[1]: expected KEY=VALUE", [](Spec& s) { s.process.env.push_back("NOEQUALS"); }},
      {"process.capabilities.effective[1]: unknown capability \"CAP_FLY\"",
       [](Spec& s) { s.process.capabilities->effective.push_back("CAP_FLY"); }},
      {"process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"",
       [](Spec& s) { s.process.rlimits.push_back({"RLIMIT_FOO", 1, 1}); }},
      {"process.rlimits[1].type: duplicate rlimit",
       [](Spec& s) { s.process.rlimits.push_back({"RLIMIT_NOFILE", 1, 1}); }},
      {"process.rlimits[0].soft: soft limit 2048 exceeds hard limit 1024",
       [](Spec& s) { s.process.rlimits[0].soft = 2048; }},
      {"process.oomScoreAdj: must be in -1000..1000", [](Spec& s) { s.process.oom_score_adj = 1001; }},
      {"process.oomScoreAdj", [](Spec& s) { s.process.oom_score_adj = -1001; }},
      {"process.apparmorProfile", [](Spec& s) { s.process.apparmor_profile = "docker-default"; }},
      {"process.selinuxLabel", [](Spec& s) { s.process.selinux_label = "x"; }},
      {"hostname: setting a hostname requires a new uts namespace",
       [](Spec& s) { s.linux.namespaces.erase(s.linux.namespaces.begin() + 1); }},
      {"mounts[0].destination: must be an absolute path", [](Spec& s) { s.mounts[0].destination = "proc"; }},
      {"mounts[1].destination: must not contain \"..\"", [](Spec& s) { s.mounts[1].destination = "/a/../etc"; }},
      {"mounts[1].source: a bind mount needs a source", [](Spec& s) { s.mounts[1].source.clear(); }},
      {"linux.namespaces[3].type: unknown namespace type \"foo\"",
       [](Spec& s) { s.linux.namespaces.push_back({"foo", ""}); }},
      {"linux.namespaces[3].type: duplicate namespace type \"pid\"",
       [](Spec& s) { s.linux.namespaces.push_back({"pid", ""}); }},
      {"linux.namespaces[3].path: must be an absolute path",
       [](Spec& s) { s.linux.namespaces.push_back({"network", "netns"}); }},
      {"linux.uidMappings: required when a new user namespace is requested",
       [](Spec& s) { s.linux.namespaces.push_back({"user", ""}); }},
      {"linux.gidMappings: required",
       [](Spec& s) {
         s.linux.namespaces.push_back({"user", ""});
         s.linux.uid_mappings = {{0, 1000, 1}};
       }},
      {"linux.uidMappings: set, but no new user namespace", [](Spec& s) { s.linux.uid_mappings = {{0, 1000, 1}}; }},
      {"linux.uidMappings[0].size: must be greater than 0",
       [](Spec& s) {
         s.linux.namespaces.push_back({"user", ""});
         s.linux.uid_mappings = {{0, 1000, 0}};
         s.linux.gid_mappings = {{0, 1000, 1}};
       }},
      {"linux.devices[0].type: must be c, b, u or p", [](Spec& s) { s.linux.devices = {{"x", "/dev/x", 1, 1}}; }},
      {"linux.devices[0].path: must be an absolute path", [](Spec& s) { s.linux.devices = {{"c", "dev/x", 1, 1}}; }},
      {"linux.cgroupsPath: must not contain \"..\"", [](Spec& s) { s.linux.cgroups_path = "ecsd/../../x"; }},
      {"linux.resources.memory.limit: must be positive or -1, got 0",
       [](Spec& s) { s.linux.resources->memory->limit = 0; }},
      {"linux.resources.memory.limit: must be positive or -1, got -2",
       [](Spec& s) { s.linux.resources->memory->limit = -2; }},
      {"linux.resources.memory.swap: memory+swap limit",
       [](Spec& s) { s.linux.resources->memory->swap = 1024; }},
      {"linux.resources.memory.swappiness", [](Spec& s) { s.linux.resources->memory->swappiness = 101; }},
      {"linux.resources.cpu.period: must be in 1000..1000000",
       [](Spec& s) {
         s.linux.resources->cpu = CpuResources{};
         s.linux.resources->cpu->period = 10;
       }},
      {"linux.resources.cpu.quota", [](Spec& s) {
         s.linux.resources->cpu = CpuResources{};
         s.linux.resources->cpu->quota = 0;
       }},
      {"linux.resources.pids.limit", [](Spec& s) { s.linux.resources->pids = PidsResources{-5}; }},
      {"linux.resources.devices[0].access: may only hold r, w and m",
       [](Spec& s) { s.linux.resources->devices = {{true, "c", 1, 3, "rwx"}}; }},
      {"linux.resources.devices[0].type", [](Spec& s) { s.linux.resources->devices = {{true, "z", 1, 3, "r"}}; }},
      {"linux.rootfsPropagation: unknown propagation", [](Spec& s) { s.linux.rootfs_propagation = "bogus"; }},
      {"linux.maskedPaths[0]: must be an absolute path", [](Spec& s) { s.linux.masked_paths = {"proc/kcore"}; }},
      {"linux.readonlyPaths[0]: must be an absolute path", [](Spec& s) { s.linux.readonly_paths = {"x"}; }},
      {"linux.sysctl: invalid key", [](Spec& s) { s.linux.sysctl["../../etc"] = "1"; }},
      {"linux.mountLabel", [](Spec& s) { s.linux.mount_label = "x"; }},
      {"linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"",
       [](Spec& s) { s.linux.seccomp->default_action = "SCMP_ACT_FOO"; }},
      {"linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported",
       [](Spec& s) { s.linux.seccomp->syscalls[0].action = "SCMP_ACT_NOTIFY"; }},
      {"linux.seccomp.syscalls[0].action: unknown action",
       [](Spec& s) { s.linux.seccomp->syscalls[0].action = "ALLOW"; }},
      {"linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"",
       [](Spec& s) { s.linux.seccomp->syscalls[0].args[0].op = "SCMP_CMP_XX"; }},
      {"linux.seccomp.syscalls[0].args[0].index: must be in 0..5",
       [](Spec& s) { s.linux.seccomp->syscalls[0].args[0].index = 6; }},
      {"linux.seccomp.syscalls[0].names: must not be empty",
       [](Spec& s) { s.linux.seccomp->syscalls[0].names.clear(); }},
      {"linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"",
       [](Spec& s) { s.linux.seccomp->architectures = {"SCMP_ARCH_Z80"}; }},
      {"linux.seccomp.flags[0]: unknown flag", [](Spec& s) { s.linux.seccomp->flags = {"SECCOMP_FILTER_FLAG_X"}; }},
  };
  for (const auto& c : cases) {
    Spec s = valid_spec();
    c.mutate(s);
    auto st = validate_spec(s);
    ASSERT_FALSE(st) << "accepted, wanted: " << c.expect;
    EXPECT_NE(st.error().str().find(c.expect), std::string::npos)
        << "got \"" << st.error().str() << "\", want \"" << c.expect << "\"";
  }
}

TEST(SpecValidate, AcceptsEdgeValues) {
  Spec s = valid_spec();
  s.linux.resources->memory->limit = -1;
  s.linux.resources->memory->swap = -1;
  s.process.oom_score_adj = -1000;
  s.linux.namespaces.push_back({"user", "/proc/1/ns/user"});  // joining needs no mappings
  s.linux.namespaces.push_back({"network", "/var/run/netns/x"});
  s.linux.resources->devices = {{false, "", std::nullopt, std::nullopt, "rwm"}, {true, "c", 1, 3, "rw"}};
  auto st = validate_spec(s);
  EXPECT_TRUE(st) << st.error().str();
}

}  // namespace
}  // namespace ecsd::runtime
