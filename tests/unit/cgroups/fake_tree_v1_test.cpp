// The whole v1 code path over a fake tree: joint cpu,cpuacct like Amazon
// Linux 2, cpuset inheritance, memory + swap, stats and the OOM watcher.
#include <poll.h>

#include "cgroups/cgroup.h"
#include "fake_tree.h"

namespace ecsd::cgroups {
namespace {

using testing::FakeTree;

constexpr const char* kUnlimited = "9223372036854771712\n";

class CgroupFakeV1 : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"cpu,cpuacct", "cpuset", "memory", "pids", "devices"}) t.dir(d);
    t.file("cpuset/cpuset.cpus", "0-3\n");
    t.file("cpuset/cpuset.mems", "0\n");
    // A new v1 cpuset starts with empty cpus and mems.
    for (const char* d : {"cpuset/ecsd", "cpuset/ecsd/task-1", "cpuset/ecsd/task-1/web"}) {
      t.file(std::string(d) + "/cpuset.cpus", "\n");
      t.file(std::string(d) + "/cpuset.mems", "\n");
    }
    h = Hierarchy::from_mounts(Layout::kV1, {Mount{t.path("systemd"), {"name=systemd"}, false},
                                             Mount{t.path("cpu,cpuacct"), {"cpu", "cpuacct"}, false},
                                             Mount{t.path("cpuset"), {"cpuset"}, false},
                                             Mount{t.path("memory"), {"memory"}, false},
                                             Mount{t.path("pids"), {"pids"}, false},
                                             Mount{t.path("devices"), {"devices"}, false}});
  }
  void populate_leaf(const std::string& rel) {
    for (const char* c : {"cpu,cpuacct", "cpuset", "memory", "pids", "devices"})
      t.file(std::string(c) + "/" + rel + "/cgroup.procs", "");
    t.file("cpu,cpuacct/" + rel + "/cpu.shares", "1024\n");
    t.file("cpu,cpuacct/" + rel + "/cpu.cfs_quota_us", "-1\n");
    t.file("cpu,cpuacct/" + rel + "/cpu.cfs_period_us", "100000\n");
    t.file("memory/" + rel + "/memory.limit_in_bytes", kUnlimited);
    t.file("memory/" + rel + "/memory.memsw.limit_in_bytes", kUnlimited);
    t.file("memory/" + rel + "/memory.soft_limit_in_bytes", kUnlimited);
    t.file("memory/" + rel + "/memory.swappiness", "60\n");
    t.file("memory/" + rel + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    t.file("memory/" + rel + "/cgroup.event_control", "");
    t.file("pids/" + rel + "/pids.max", "max\n");
  }
  FakeTree t;
  Hierarchy h = Hierarchy::from_mounts(Layout::kV1, {});
};

TEST_F(CgroupFakeV1, CreateInEveryHierarchyAndInheritCpuset) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg) << cg.error().str();
  for (const char* c : {"cpu,cpuacct", "cpuset", "memory", "pids", "devices"})
    EXPECT_TRUE(t.exists(std::string(c) + "/ecsd/task-1/web")) << c;
  EXPECT_FALSE(t.exists("systemd/ecsd"));  // named hierarchies are not ours
  EXPECT_EQ(cg->dirs().size(), 5u);         // cpu and cpuacct share one
  EXPECT_EQ(cg->dir_for("cpu"), cg->dir_for("cpuacct"));
  EXPECT_EQ(cg->dir_for("memory"), t.path("memory/ecsd/task-1/web"));
  for (const char* d : {"cpuset/ecsd", "cpuset/ecsd/task-1", "cpuset/ecsd/task-1/web"}) {
    EXPECT_EQ(t.read(std::string(d) + "/cpuset.cpus"), "0-3") << d;
    EXPECT_EQ(t.read(std::string(d) + "/cpuset.mems"), "0") << d;
  }
}

TEST_F(CgroupFakeV1, FailedCreateRemovesWhatItMade) {
  // cpuset/other gets no cpuset.cpus in the fake tree: inheriting fails after
  // the cpu,cpuacct directories and cpuset/other were made.
  auto cg = Cgroup::create(h, "other/x");
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().str().find("cpuset/other/cpuset.cpus"), std::string::npos) << cg.error().str();
  for (const char* c : {"cpu,cpuacct", "cpuset", "memory", "pids", "devices"})
    EXPECT_FALSE(t.exists(std::string(c) + "/other")) << c;
}

TEST_F(CgroupFakeV1, ApplyWritesV1Files) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg);
  populate_leaf("ecsd/task-1/web");
  Resources r;
  r.cpu_shares = 512;
  r.cpu_quota_us = 25000;
  r.cpu_period_us = 50000;
  r.cpuset_cpus = "1";
  r.memory_limit = 16 << 20;
  r.memory_reservation = 8 << 20;
  r.memory_swap = 16 << 20;
  r.memory_swappiness = 0;
  r.pids_limit = 10;
  auto st = cg->apply(r);
  ASSERT_TRUE(st) << st.error().str();
  const std::string c = "cpu,cpuacct/ecsd/task-1/web/", m = "memory/ecsd/task-1/web/";
  EXPECT_EQ(t.read(c + "cpu.shares"), "512");
  EXPECT_EQ(t.read(c + "cpu.cfs_quota_us"), "25000");
  EXPECT_EQ(t.read(c + "cpu.cfs_period_us"), "50000");
  EXPECT_EQ(t.read("cpuset/ecsd/task-1/web/cpuset.cpus"), "1");
  EXPECT_EQ(t.read("cpuset/ecsd/task-1/web/cpuset.mems"), "0");  // inherited, untouched
  EXPECT_EQ(t.read(m + "memory.limit_in_bytes"), "16777216");
  EXPECT_EQ(t.read(m + "memory.memsw.limit_in_bytes"), "16777216");
  EXPECT_EQ(t.read(m + "memory.soft_limit_in_bytes"), "8388608");
  EXPECT_EQ(t.read(m + "memory.swappiness"), "0");
  EXPECT_EQ(t.read("pids/ecsd/task-1/web/pids.max"), "10");

  // Raising a limit alone above memory+swap is refused before any write.
  Resources up;
  up.memory_limit = 32 << 20;
  up.pids_limit = 20;
  st = cg->apply(up);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().str().find("above the current memory+swap limit 16777216"), std::string::npos)
      << st.error().str();
  EXPECT_EQ(t.read("pids/ecsd/task-1/web/pids.max"), "10");
  up.memory_swap = 64 << 20;
  ASSERT_TRUE(cg->apply(up));
  EXPECT_EQ(t.read(m + "memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(t.read(m + "memory.memsw.limit_in_bytes"), "67108864");
  EXPECT_EQ(t.read("pids/ecsd/task-1/web/pids.max"), "20");

  // Nothing is written for an invalid request.
  Resources bad;
  bad.cpu_shares = 2048;
  bad.memory_limit = -7;
  st = cg->apply(bad);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().str().find("memory limit -7 is invalid"), std::string::npos) << st.error().str();
  EXPECT_EQ(t.read(c + "cpu.shares"), "512");
}

TEST_F(CgroupFakeV1, ProcessesInEveryHierarchyAndStats) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg);
  populate_leaf("ecsd/task-1/web");
  ASSERT_TRUE(cg->add_process(777));
  for (const char* c : {"cpu,cpuacct", "cpuset", "memory", "pids", "devices"})
    EXPECT_EQ(t.read(std::string(c) + "/ecsd/task-1/web/cgroup.procs"), "777") << c;
  t.file("memory/ecsd/task-1/web/cgroup.procs", "777\n778\n");
  EXPECT_EQ(cg->processes().value(), (std::vector<pid_t>{777, 778}));  // union

  const std::string c = "cpu,cpuacct/ecsd/task-1/web/", m = "memory/ecsd/task-1/web/";
  t.file(c + "cpuacct.usage", "123456789\n");
  t.file(c + "cpuacct.usage_user", "100000000\n");
  t.file(c + "cpuacct.usage_sys", "23456789\n");
  t.file(m + "memory.usage_in_bytes", "4096\n");
  t.file(m + "memory.max_usage_in_bytes", "8192\n");
  t.file(m + "memory.limit_in_bytes", "16777216\n");
  t.file(m + "memory.stat", "cache 0\ntotal_cache 4096\n");
  t.file(m + "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
  t.file("pids/ecsd/task-1/web/pids.current", "2\n");
  auto s = cg->stats();
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->cpu_usage_ns, 123456789u);
  EXPECT_EQ(s->cpu_user_ns, 100000000u);
  EXPECT_EQ(s->cpu_system_ns, 23456789u);
  EXPECT_EQ(s->memory_usage, 4096u);
  EXPECT_EQ(s->memory_max_usage, 8192u);
  EXPECT_EQ(s->memory_limit, 16777216u);
  EXPECT_EQ(s->memory_cache, 4096u);
  EXPECT_EQ(s->oom_kills, 4u);
  EXPECT_EQ(s->pids_current, 2u);
  EXPECT_EQ(s->pids_limit, UINT64_MAX);
}

TEST_F(CgroupFakeV1, OomWatcherRegistersAndCounts) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg);
  populate_leaf("ecsd/task-1/web");
  const std::string m = "memory/ecsd/task-1/web/";
  t.file(m + "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  auto w = OomWatcher::watch(*cg);
  ASSERT_TRUE(w) << w.error().str();
  // "<eventfd> <fd of memory.oom_control>" went to cgroup.event_control.
  std::string reg = t.read(m + "cgroup.event_control");
  EXPECT_EQ(reg.substr(0, reg.find(' ')), std::to_string(w->fd()));
  int target = std::stoi(reg.substr(reg.find(' ') + 1));
  char link[256] = {};
  ASSERT_GT(::readlink(("/proc/self/fd/" + std::to_string(target)).c_str(), link, sizeof link - 1), 0);
  EXPECT_EQ(std::string(link), t.path(m + "memory.oom_control"));
  EXPECT_EQ(w->consume().value(), 0u);
  t.file(m + "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  EXPECT_EQ(w->consume().value(), 2u);
  EXPECT_EQ(w->consume().value(), 0u);
}

}  // namespace
}  // namespace ecsd::cgroups
