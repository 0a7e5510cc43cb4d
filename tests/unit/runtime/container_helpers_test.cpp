// Pure helpers of the launch path: the OOM counter read from v1 and v2 files,
// and the cgroup path a container gets.
#include <gtest/gtest.h>

#include "runtime/container.h"

namespace ecsd::runtime {
namespace {

TEST(OomKillCount, V1MemoryOomControl) {
  EXPECT_EQ(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3u);
  EXPECT_EQ(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\n"), 0u) << "old kernels have no counter";
}

TEST(OomKillCount, V2MemoryEventsIgnoresGroupKill) {
  EXPECT_EQ(parse_oom_kill_count("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n"), 2u);
  EXPECT_EQ(parse_oom_kill_count("oom_group_kill 5\noom_kill 1"), 1u);
  EXPECT_EQ(parse_oom_kill_count(""), 0u);
}

TEST(ContainerCgroupPath, DefaultAndExplicit) {
  Spec s;
  EXPECT_EQ(container_cgroup_path(s, "web").value(), "ecsd/web");
  s.linux.cgroups_path = "/ecs/task-1/web";
  EXPECT_EQ(container_cgroup_path(s, "web").value(), "ecs/task-1/web");
  s.linux.cgroups_path = "ecs//task-1/";
  EXPECT_EQ(container_cgroup_path(s, "web").value(), "ecs/task-1");
}

TEST(ContainerCgroupPath, RefusedForms) {
  Spec s;
  for (const char* bad : {"/", "/a/../b", "system.slice:ecsd:web", "./x"}) {
    s.linux.cgroups_path = bad;
    auto r = container_cgroup_path(s, "web");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("linux.cgroupsPath"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace ecsd::runtime

#include "runtime/resources.h"

namespace ecsd::runtime {
namespace {

TEST(DeviceRules, SpecRulesFirstThenRuncDefaults) {
  Spec s;
  s.linux.resources.emplace();
  DeviceCgroupRule deny_all;
  deny_all.access = "rwm";
  s.linux.resources->devices.push_back(deny_all);
  Device null_dev;
  null_dev.type = "c";
  null_dev.path = "/dev/null";
  null_dev.major = 1;
  null_dev.minor = 3;
  auto lines = device_rule_lines(device_rules_for(s, {null_dev}));
  std::vector<std::pair<std::string, std::string>> want = {
      {"devices.deny", "a *:* rwm"},  {"devices.allow", "c *:* m"},   {"devices.allow", "b *:* m"},
      {"devices.allow", "c 1:3 rwm"}, {"devices.allow", "c 136:* rwm"}, {"devices.allow", "c 5:2 rwm"},
  };
  EXPECT_EQ(lines, want);
}

TEST(ResourcesFieldForError, NamesTheOciField) {
  EXPECT_EQ(resources_field_for_error("write '99' to /sys/fs/cgroup/cpuset/x/cpuset.cpus: Numerical result out of range"),
            "linux.resources.cpu.cpus");
  EXPECT_EQ(resources_field_for_error("write to /x/memory.memsw.limit_in_bytes: Device or resource busy"),
            "linux.resources.memory.swap");
  EXPECT_EQ(resources_field_for_error("write to /x/memory.limit_in_bytes: EBUSY"), "linux.resources.memory.limit");
  EXPECT_EQ(resources_field_for_error("write to /x/memory.max: EINVAL"), "linux.resources.memory.limit");
  EXPECT_EQ(resources_field_for_error("something else"), "linux.resources");
}

}  // namespace
}  // namespace ecsd::runtime
