#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runtime/spec.h"

namespace ecsd::runtime {
namespace {

using nlohmann::json;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ecsd-spec-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string runc_spec(const std::string& dir, const char* extra) {
  std::string cmd = "cd " + dir + " && /usr/sbin/runc spec " + extra;
  EXPECT_EQ(system(cmd.c_str()), 0) << cmd;
  return dir;
}

TEST(SpecParse, RuncSpecOutputParses) {
  TempDir d;
  runc_spec(d.path, "");
  auto s = load_bundle_spec(d.path);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->root.path, d.path + "/rootfs");
  EXPECT_TRUE(s->root.readonly);
  EXPECT_EQ(s->process.args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(s->process.terminal);
  ASSERT_TRUE(s->process.capabilities);
  EXPECT_NE(std::find(s->process.capabilities->bounding.begin(), s->process.capabilities->bounding.end(),
                      "CAP_KILL"),
            s->process.capabilities->bounding.end());
  ASSERT_EQ(s->process.rlimits.size(), 1u);
  EXPECT_EQ(s->process.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s->process.rlimits[0].hard, 1024u);
  EXPECT_TRUE(s->process.no_new_privileges);
  EXPECT_EQ(s->hostname, "runc");
  EXPECT_EQ(s->mounts.size(), 7u);
  EXPECT_TRUE(s->has_namespace("pid"));
  EXPECT_TRUE(s->has_namespace("network"));
  EXPECT_FALSE(s->has_namespace("user"));
  ASSERT_TRUE(s->linux.resources);
  ASSERT_EQ(s->linux.resources->devices.size(), 1u);
  EXPECT_FALSE(s->linux.resources->devices[0].allow);
  EXPECT_EQ(s->linux.resources->devices[0].access, "rwm");
  EXPECT_FALSE(s->linux.masked_paths.empty());
  // runc's spec asks for a terminal, which ecsd does not support.
  auto v = validate_spec(*s);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().str().find("process.terminal"), std::string::npos) << v.error().str();
  s->process.terminal = false;
  EXPECT_TRUE(validate_spec(*s)) << validate_spec(*s).error().str();
}

TEST(SpecParse, RuncRootlessSpecOutputParses) {
  TempDir d;
  runc_spec(d.path, "--rootless");
  auto s = load_bundle_spec(d.path);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_TRUE(s->has_namespace("user"));
  ASSERT_EQ(s->linux.uid_mappings.size(), 1u);
  EXPECT_EQ(s->linux.uid_mappings[0].host_id, getuid());
  EXPECT_EQ(s->linux.uid_mappings[0].size, 1u);
  ASSERT_EQ(s->linux.gid_mappings.size(), 1u);
  s->process.terminal = false;
  EXPECT_TRUE(validate_spec(*s)) << validate_spec(*s).error().str();
}

TEST(SpecParse, RoundTripsEveryField) {
  const json full = json::parse(R"({
    "ociVersion": "1.1.0",
    "root": {"path": "/var/lib/x/rootfs", "readonly": true},
    "process": {
      "terminal": false,
      "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6]},
      "args": ["/bin/sh", "-c", "echo hi"],
      "env": ["PATH=/bin", "A=b=c"],
      "cwd": "/work",
      "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "inheritable": [],
                       "permitted": ["CAP_KILL", "CAP_CHOWN"], "ambient": []},
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1024}],
      "noNewPrivileges": true,
      "oomScoreAdj": -500
    },
    "hostname": "box",
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]},
      {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"]}
    ],
    "linux": {
      "namespaces": [{"type": "pid"}, {"type": "uts"}, {"type": "network", "path": "/var/run/netns/x"}, {"type": "user"}],
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}],
      "cgroupsPath": "ecsd/abc",
      "resources": {
        "memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "swappiness": 0, "disableOOMKiller": false},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0"},
        "pids": {"limit": 100},
        "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}]
      },
      "rootfsPropagation": "rprivate",
      "maskedPaths": ["/proc/kcore"],
      "readonlyPaths": ["/proc/sys"],
      "sysctl": {"net.ipv4.ip_forward": "1"},
      "seccomp": {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                     {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                     {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
      }
    },
    "annotations": {"org.example": "v"}
  })");
  auto s = parse_spec_json(full);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->process.user.umask, 18u);
  EXPECT_EQ(s->process.rlimits[0].hard, UINT64_MAX);
  EXPECT_EQ(s->process.oom_score_adj, -500);
  EXPECT_EQ(s->linux.resources->memory->swap, -1);
  EXPECT_EQ(s->linux.seccomp->syscalls[2].errno_ret, 38u);
  json back = spec_to_json(*s);
  // valueTwo 0 is the default and is omitted in the canonical form.
  json expected = full;
  expected["linux"]["seccomp"]["syscalls"][1]["args"][0].erase("valueTwo");
  EXPECT_EQ(back, expected) << back.dump(2);
  auto again = parse_spec_json(back);
  ASSERT_TRUE(again);
  EXPECT_EQ(spec_to_json(*again), back);
  EXPECT_TRUE(validate_spec(*s)) << validate_spec(*s).error().str();
}

TEST(SpecParse, NullMeansAbsent) {
  auto s = parse_spec(R"({"ociVersion":"1.0.0","root":{"path":"r"},"process":{"args":["x"],"env":null,
      "capabilities":null},"linux":{"namespaces":null,"resources":null}})");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_FALSE(s->process.capabilities);
  EXPECT_FALSE(s->linux.resources);
}

struct BadCase {
  const char* pointer;  // JSON pointer to set
  const char* value;    // JSON text
  const char* expect;   // substring of the error
};

TEST(SpecParse, ErrorsNameTheField) {
  const json base = json::parse(R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},
     "process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/","rlimits":[{"type":"RLIMIT_NOFILE","hard":1,"soft":1}]},
     "mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}],
     "linux":{"resources":{"memory":{}},"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}})");
  ASSERT_TRUE(parse_spec_json(base)) << parse_spec_json(base).error().str();
  const BadCase cases[] = {
      {"/linux/resources/blockIO", "{}", "linux.resources.blockIO: unknown field"},
      {"/process/user/uid", "\"abc\"", "process.user.uid: expected an unsigned 32-bit integer, got \"abc\""},
      {"/process/user/uid", "-1", "process.user.uid: expected an unsigned 32-bit integer, got -1"},
      {"/process/user/gid", "4294967296", "process.user.gid: expected an unsigned 32-bit integer"},
      {"/process/user/username", "\"bob\"", "process.user.username: not supported"},
      {"/process/args", "\"sh\"", "process.args: expected an array of strings"},
      {"/process/args", "[1]", "process.args[0]: expected a string, got 1"},
      {"/process/terminal", "\"yes\"", "process.terminal: expected a boolean"},
      {"/process/rlimits/0/hard", "1.5", "process.rlimits[0].hard: expected an unsigned 64-bit integer, got 1.5"},
      {"/process/rlimits/0/max", "1", "process.rlimits[0].max: unknown field"},
      {"/process/oomScoreAdj", "\"1\"", "process.oomScoreAdj: expected a 32-bit integer"},
      {"/process/ioPriority", "{}", "process.ioPriority: unknown field"},
      {"/process/capabilities", "{\"bounding\":\"CAP_KILL\"}", "process.capabilities.bounding: expected an array"},
      {"/mounts/1/uidMappings", "[]", "mounts[1].uidMappings: unknown field"},
      {"/mounts/1/options", "[\"ro\", 7]", "mounts[1].options[1]: expected a string"},
      {"/hooks", "{\"prestart\":[{\"path\":\"/bin/true\"}]}", "hooks: not supported"},
      {"/solaris", "{}", "solaris: unknown field"},
      {"/domainname", "\"example.com\"", "domainname: not supported"},
      {"/root", "\"rootfs\"", "root: expected an object, got \"rootfs\""},
      {"/linux/memory", "{}", "linux.memory: unknown field"},
      {"/linux/intelRdt", "{}", "linux.intelRdt: unknown field"},
      {"/linux/resources/memory/limit", "\"1g\"", "linux.resources.memory.limit: expected a signed 64-bit integer"},
      {"/linux/resources/memory/limit", "9223372036854775808", "linux.resources.memory.limit: expected a signed"},
      {"/linux/resources/memory/kernel", "1", "linux.resources.memory.kernel: unknown field"},
      {"/linux/resources/cpu", "{\"realtimeRuntime\":1}", "linux.resources.cpu.realtimeRuntime: unknown field"},
      {"/linux/resources/pids", "{\"limit\":\"x\"}", "linux.resources.pids.limit: expected a signed 64-bit integer"},
      {"/linux/resources/devices", "[{\"allow\":1}]", "linux.resources.devices[0].allow: expected a boolean"},
      {"/linux/namespaces", "[{\"type\":\"pid\",\"flags\":1}]", "linux.namespaces[0].flags: unknown field"},
      {"/linux/uidMappings", "[{\"containerID\":0,\"hostID\":0}, {\"size\":\"1\"}]",
       "linux.uidMappings[1].size: expected an unsigned 32-bit integer"},
      {"/linux/sysctl", "{\"a\":1}", "linux.sysctl.a: expected a string"},
      {"/linux/seccomp/listenerPath", "\"/run/agent.sock\"", "linux.seccomp.listenerPath: not supported"},
      {"/linux/seccomp/syscalls", "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":\"0\"}]}]",
       "linux.seccomp.syscalls[0].args[0].index: expected an unsigned 32-bit integer"},
      {"/linux/seccomp/syscalls", "[{\"name\":\"read\"}]", "linux.seccomp.syscalls[0].name: unknown field"},
      {"/annotations", "{\"k\":true}", "annotations.k: expected a string"},
  };
  for (const auto& c : cases) {
    json j = base;
    j[json::json_pointer(c.pointer)] = json::parse(c.value);
    auto s = parse_spec_json(j);
    ASSERT_FALSE(s) << c.pointer << " = " << c.value << " was accepted";
    EXPECT_NE(s.error().str().find(c.expect), std::string::npos)
        << c.pointer << ": got \"" << s.error().str() << "\", want \"" << c.expect << "\"";
  }
}

TEST(SpecParse, InvalidJsonText) {
  auto s = parse_spec("{\"ociVersion\": ");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().str().find("invalid JSON"), std::string::npos);
  auto t = parse_spec("[1,2]");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().str().find("expected an object"), std::string::npos) << t.error().str();
}

TEST(SpecParse, LoadBundleErrorsNameTheFile) {
  TempDir d;
  auto missing = load_bundle_spec(d.path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().str().find(d.path + "/config.json"), std::string::npos) << missing.error().str();
  EXPECT_EQ(missing.error().code, ENOENT);

  std::ofstream(d.path + "/config.json") << R"({"ociVersion":"1.0.0","root":{"path":"/abs/rootfs"},"process":{"user":{"uid":"x"}}})";
  auto bad = load_bundle_spec(d.path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().str().find(d.path + "/config.json"), std::string::npos) << bad.error().str();
  EXPECT_NE(bad.error().str().find("process.user.uid"), std::string::npos) << bad.error().str();

  std::ofstream(d.path + "/config.json") << R"({"ociVersion":"1.0.0","root":{"path":"/abs/rootfs/"},"process":{"args":["x"]}})";
  auto abs = load_bundle_spec(d.path + "/");
  ASSERT_TRUE(abs) << abs.error().str();
  EXPECT_EQ(abs->root.path, "/abs/rootfs");

  std::ofstream(d.path + "/config.json") << R"({"ociVersion":"1.0.0","root":{"path":"./sub/../rootfs"},"process":{"args":["x"]}})";
  auto rel = load_bundle_spec(d.path);
  ASSERT_TRUE(rel) << rel.error().str();
  EXPECT_EQ(rel->root.path, d.path + "/rootfs");
}

}  // namespace
}  // namespace ecsd::runtime
