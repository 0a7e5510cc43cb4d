#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/defaults.h"

namespace ecsd::runtime {
namespace {

const Mount* find_mount(const Spec& s, const std::string& dest) {
  for (const auto& m : s.mounts)
    if (m.destination == dest) return &m;
  return nullptr;
}

bool has_opt(const Mount& m, const std::string& o) {
  return std::find(m.options.begin(), m.options.end(), o) != m.options.end();
}

bool allows(const Seccomp& s, const std::string& name) {
  for (const auto& c : s.syscalls)
    if (c.action == "SCMP_ACT_ALLOW" && c.args.empty() &&
        std::find(c.names.begin(), c.names.end(), name) != c.names.end())
      return true;
  return false;
}

TEST(Defaults, DockerLikeSpec) {
  auto s = docker_default_spec(KernelVersion{6, 18, 0});
  ASSERT_TRUE(s) << s.error().str();
  for (const char* ns : {"pid", "ipc", "uts", "mount", "network", "cgroup"}) EXPECT_TRUE(s->has_namespace(ns)) << ns;
  EXPECT_FALSE(s->has_namespace("user"));
  ASSERT_EQ(s->mounts.size(), 7u);
  const Mount* proc = find_mount(*s, "/proc");
  ASSERT_TRUE(proc);
  EXPECT_EQ(proc->type, "proc");
  EXPECT_TRUE(has_opt(*proc, "nosuid") && has_opt(*proc, "noexec") && has_opt(*proc, "nodev"));
  const Mount* dev = find_mount(*s, "/dev");
  ASSERT_TRUE(dev);
  EXPECT_TRUE(has_opt(*dev, "mode=755") && has_opt(*dev, "size=65536k") && has_opt(*dev, "strictatime"));
  const Mount* pts = find_mount(*s, "/dev/pts");
  ASSERT_TRUE(pts);
  EXPECT_TRUE(has_opt(*pts, "newinstance") && has_opt(*pts, "ptmxmode=0666") && has_opt(*pts, "gid=5"));
  EXPECT_TRUE(has_opt(*find_mount(*s, "/sys"), "ro"));
  EXPECT_TRUE(has_opt(*find_mount(*s, "/sys/fs/cgroup"), "ro"));
  EXPECT_EQ(find_mount(*s, "/dev/mqueue")->type, "mqueue");
  EXPECT_TRUE(has_opt(*find_mount(*s, "/dev/shm"), "size=65536k"));
  auto& mp = s->linux.masked_paths;
  EXPECT_NE(std::find(mp.begin(), mp.end(), "/proc/kcore"), mp.end());
  EXPECT_NE(std::find(mp.begin(), mp.end(), "/sys/firmware"), mp.end());
  auto& ro = s->linux.readonly_paths;
  EXPECT_NE(std::find(ro.begin(), ro.end(), "/proc/sysrq-trigger"), ro.end());
  ASSERT_TRUE(s->process.capabilities);
  const auto& caps = *s->process.capabilities;
  EXPECT_EQ(*caps_to_mask(caps.bounding), *caps_to_mask(docker_default_capabilities()));
  EXPECT_EQ(caps.effective, caps.bounding);
  EXPECT_EQ(caps.permitted, caps.bounding);
  EXPECT_TRUE(caps.inheritable.empty());
  EXPECT_TRUE(caps.ambient.empty());
  EXPECT_FALSE(s->process.no_new_privileges);
  ASSERT_TRUE(s->linux.seccomp);
  EXPECT_TRUE(allows(*s->linux.seccomp, "read"));
  EXPECT_FALSE(allows(*s->linux.seccomp, "mount"));
  ASSERT_EQ(s->linux.devices.size(), 6u);
  EXPECT_EQ(s->linux.devices[0].path, "/dev/null");
  ASSERT_TRUE(s->linux.resources);
  EXPECT_FALSE(s->linux.resources->devices.front().allow);  // deny all first

  // Complete it and it validates and round-trips through JSON.
  s->root.path = "/rootfs";
  s->process.args = {"/bin/sh"};
  auto st = validate_spec(*s);
  EXPECT_TRUE(st) << st.error().str();
  auto j = spec_to_json(*s);
  auto back = parse_spec_json(j);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(spec_to_json(*back), j);
}

TEST(Defaults, MakePrivileged) {
  auto s = docker_default_spec(KernelVersion{6, 18, 0});
  ASSERT_TRUE(s);
  s->root.path = "/rootfs";
  s->process.args = {"/bin/sh"};
  const CapMask host = 0x000001fffeffffffull;
  std::vector<Device> devs = {{"c", "/dev/fuse", 10, 229, 0666, 0, 0}, {"b", "/dev/loop0", 7, 0, 0660, 0, 6}};
  make_privileged(*s, host, devs);
  const auto& caps = *s->process.capabilities;
  EXPECT_EQ(*caps_to_mask(caps.bounding), host);
  EXPECT_EQ(*caps_to_mask(caps.effective), host);
  EXPECT_EQ(*caps_to_mask(caps.permitted), host);
  EXPECT_EQ(std::find(caps.bounding.begin(), caps.bounding.end(), "CAP_SYS_RESOURCE"), caps.bounding.end());
  EXPECT_FALSE(s->linux.seccomp);
  EXPECT_TRUE(s->linux.masked_paths.empty());
  EXPECT_TRUE(s->linux.readonly_paths.empty());
  EXPECT_FALSE(has_opt(*find_mount(*s, "/sys"), "ro"));
  EXPECT_TRUE(has_opt(*find_mount(*s, "/sys"), "rw"));
  EXPECT_FALSE(has_opt(*find_mount(*s, "/sys/fs/cgroup"), "ro"));
  ASSERT_EQ(s->linux.devices.size(), 2u);
  EXPECT_EQ(s->linux.devices[1].path, "/dev/loop0");
  ASSERT_EQ(s->linux.resources->devices.size(), 1u);
  EXPECT_TRUE(s->linux.resources->devices[0].allow);
  EXPECT_EQ(s->linux.resources->devices[0].type, "a");
  auto st = validate_spec(*s);
  EXPECT_TRUE(st) << st.error().str();
}

TEST(Defaults, ListHostDevices) {
  auto devs = list_host_devices();
  ASSERT_TRUE(devs) << devs.error().str();
  ASSERT_FALSE(devs->empty());
  struct stat st{};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  bool found_null = false;
  for (const auto& d : *devs) {
    EXPECT_EQ(d.path.rfind("/dev/", 0), 0u) << d.path;
    EXPECT_TRUE(d.type == "c" || d.type == "b") << d.path;
    EXPECT_NE(d.path.rfind("/dev/pts/", 0), 0u) << d.path;
    if (d.path == "/dev/null") {
      found_null = true;
      EXPECT_EQ(d.major, static_cast<int64_t>(major(st.st_rdev)));
      EXPECT_EQ(d.minor, static_cast<int64_t>(minor(st.st_rdev)));
      EXPECT_EQ(d.file_mode, st.st_mode & 07777);
    }
  }
  EXPECT_TRUE(found_null);
  EXPECT_TRUE(std::is_sorted(devs->begin(), devs->end(),
                             [](const Device& a, const Device& b) { return a.path < b.path; }));
  EXPECT_FALSE(list_host_devices("/nonexistent-ecsd-dev"));
}

}  // namespace
}  // namespace ecsd::runtime
