// The whole v2 code path over a fake unified tree.
#include <poll.h>

#include "cgroups/cgroup.h"
#include "fake_tree.h"

namespace ecsd::cgroups {
namespace {

using testing::FakeTree;

class CgroupFakeV2 : public ::testing::Test {
 protected:
  void SetUp() override {
    t.file("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    t.file("cgroup.subtree_control", "");
    // ecsd already has memory enabled for its children.
    t.file("ecsd/cgroup.controllers", "cpuset cpu memory pids\n");
    t.file("ecsd/cgroup.subtree_control", "memory\n");
    // The task level offers only cpu and memory to its children.
    t.file("ecsd/task-1/cgroup.controllers", "cpu memory\n");
    t.file("ecsd/task-1/cgroup.subtree_control", "");
    h = Hierarchy::from_mounts(Layout::kV2, {Mount{t.root(), {"cpuset", "cpu", "io", "memory", "pids"}, true}});
  }
  // What the kernel creates in a new cgroup.
  void populate_leaf(const std::string& rel) {
    t.file(rel + "/cgroup.procs", "");
    t.file(rel + "/cgroup.kill", "");
    t.file(rel + "/cpu.weight", "100\n");
    t.file(rel + "/cpu.max", "max 100000\n");
    t.file(rel + "/cpuset.cpus", "\n");
    t.file(rel + "/cpuset.mems", "\n");
    t.file(rel + "/memory.max", "max\n");
    t.file(rel + "/memory.low", "0\n");
    t.file(rel + "/memory.swap.max", "max\n");
    t.file(rel + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
    t.file(rel + "/pids.max", "max\n");
  }
  FakeTree t;
  Hierarchy h = Hierarchy::from_mounts(Layout::kV2, {});
};

TEST_F(CgroupFakeV2, CreateEnablesControllersInParentsOnly) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg) << cg.error().str();
  EXPECT_EQ(t.read("cgroup.subtree_control"), "+cpu +cpuset +memory +pids");
  EXPECT_EQ(t.read("ecsd/cgroup.subtree_control"), "+cpu +cpuset +pids");
  EXPECT_EQ(t.read("ecsd/task-1/cgroup.subtree_control"), "+cpu +memory");
  EXPECT_TRUE(t.exists("ecsd/task-1/web"));
  EXPECT_FALSE(t.exists("ecsd/task-1/web/cgroup.subtree_control"));  // never written
  EXPECT_EQ(cg->path(), "ecsd/task-1/web");
  EXPECT_EQ(cg->dirs(), std::vector<std::string>{t.path("ecsd/task-1/web")});
  EXPECT_EQ(cg->dir_for("memory"), t.path("ecsd/task-1/web"));
  EXPECT_EQ(cg->dir_for("hugetlb"), "");

  // Re-creating reuses; open finds it.
  EXPECT_TRUE(Cgroup::create(h, "ecsd/task-1/web"));
  EXPECT_TRUE(Cgroup::open(h, "ecsd/task-1/web"));
  EXPECT_FALSE(Cgroup::open(h, "ecsd/task-1/db"));
  EXPECT_FALSE(Cgroup::create(h, "ecsd/../x"));
}

TEST_F(CgroupFakeV2, FailedCreateRemovesWhatItMade) {
  // "newtop" gets created, but has no cgroup.controllers (the fake kernel
  // does not populate it), so enabling controllers below it fails.
  auto cg = Cgroup::create(h, "newtop/a");
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().str().find("creating cgroup newtop/a"), std::string::npos) << cg.error().str();
  EXPECT_NE(cg.error().str().find("newtop/cgroup.controllers"), std::string::npos) << cg.error().str();
  EXPECT_FALSE(t.exists("newtop"));
}

TEST_F(CgroupFakeV2, ApplyWritesV2Files) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg) << cg.error().str();
  populate_leaf("ecsd/task-1/web");
  Resources r;
  r.cpu_shares = 2048;
  r.cpu_quota_us = 150000;
  r.cpuset_cpus = "0";
  r.cpuset_mems = "0";
  r.memory_limit = 256 << 20;
  r.memory_reservation = 128 << 20;
  r.memory_swap = 512 << 20;
  r.memory_swappiness = 30;
  r.pids_limit = 100;
  auto st = cg->apply(r);
  ASSERT_TRUE(st) << st.error().str();
  const std::string d = "ecsd/task-1/web/";
  EXPECT_EQ(t.read(d + "cpu.weight"), "174");
  EXPECT_EQ(t.read(d + "cpu.max"), "150000 100000");  // period kept from cpu.max
  EXPECT_EQ(t.read(d + "cpuset.cpus"), "0");
  EXPECT_EQ(t.read(d + "cpuset.mems"), "0");
  EXPECT_EQ(t.read(d + "memory.max"), "268435456");
  EXPECT_EQ(t.read(d + "memory.low"), "134217728");
  EXPECT_EQ(t.read(d + "memory.swap.max"), "268435456");  // 512 MiB - 256 MiB
  EXPECT_EQ(t.read(d + "pids.max"), "100");
  EXPECT_FALSE(t.exists(d + "memory.swappiness"));

  // Swap alone: computed against the memory.max now in place.
  Resources s;
  s.memory_swap = 300 << 20;
  ASSERT_TRUE(cg->apply(s));
  EXPECT_EQ(t.read(d + "memory.swap.max"), std::to_string(44 << 20));
  // Unlimited.
  Resources u;
  u.cpu_quota_us = -1;
  u.memory_limit = -1;
  u.memory_swap = -1;
  u.pids_limit = -1;
  ASSERT_TRUE(cg->apply(u));
  EXPECT_EQ(t.read(d + "cpu.max"), "max 100000");
  EXPECT_EQ(t.read(d + "memory.max"), "max");
  EXPECT_EQ(t.read(d + "memory.swap.max"), "max");
  EXPECT_EQ(t.read(d + "pids.max"), "max");
}

TEST_F(CgroupFakeV2, FailedApplyRestoresEarlierWrites) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg);
  populate_leaf("ecsd/task-1/web");
  std::filesystem::remove(t.path("ecsd/task-1/web/pids.max"));
  t.dir("ecsd/task-1/web/pids.max");  // cannot be opened for writing
  Resources r;
  r.memory_limit = 64 << 20;
  r.pids_limit = 5;
  auto st = cg->apply(r);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().str().find("applying limits to cgroup ecsd/task-1/web"), std::string::npos);
  EXPECT_NE(st.error().str().find("pids.max"), std::string::npos) << st.error().str();
  EXPECT_EQ(t.read("ecsd/task-1/web/memory.max"), "max");  // rolled back
}

TEST_F(CgroupFakeV2, MissingControllerIsAClearError) {
  auto h2 = Hierarchy::from_mounts(Layout::kV2, {Mount{t.root(), {"cpu", "memory"}, true}});
  auto cg = Cgroup::create(h2, "ecsd/task-1/web");
  ASSERT_TRUE(cg) << cg.error().str();
  populate_leaf("ecsd/task-1/web");
  Resources r;
  r.memory_limit = 64 << 20;
  r.pids_limit = 5;
  auto st = cg->apply(r);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().str().find("controller pids is not available"), std::string::npos) << st.error().str();
  EXPECT_EQ(t.read("ecsd/task-1/web/memory.max"), "max\n");  // untouched
}

TEST_F(CgroupFakeV2, ProcessesStatsKill) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg);
  populate_leaf("ecsd/task-1/web");
  const std::string d = "ecsd/task-1/web/";
  ASSERT_TRUE(cg->add_process(4242));
  EXPECT_EQ(t.read(d + "cgroup.procs"), "4242");
  t.file(d + "cgroup.procs", "4242\n17\n");
  auto p = cg->processes();
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(*p, (std::vector<pid_t>{17, 4242}));

  t.file(d + "cpu.stat", "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\n");
  t.file(d + "memory.current", "1048576\n");
  t.file(d + "memory.max", "16777216\n");
  t.file(d + "memory.stat", "anon 4096\nfile 8192\n");
  t.file(d + "memory.events", "oom 1\noom_kill 1\n");
  t.file(d + "pids.current", "2\n");
  t.file(d + "pids.max", "10\n");
  auto s = cg->stats();
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->cpu_usage_ns, 2000000u);
  EXPECT_EQ(s->cpu_user_ns, 1500000u);
  EXPECT_EQ(s->memory_usage, 1048576u);
  EXPECT_EQ(s->memory_max_usage, 0u);
  EXPECT_EQ(s->memory_limit, 16777216u);
  EXPECT_EQ(s->memory_cache, 8192u);
  EXPECT_EQ(s->oom_kills, 1u);
  EXPECT_EQ(s->pids_current, 2u);
  EXPECT_EQ(s->pids_limit, 10u);
  t.file(d + "memory.peak", "3145728\n");
  EXPECT_EQ(cg->stats()->memory_max_usage, 3145728u);

  // SIGKILL on v2 goes through cgroup.kill. The fake kernel does not empty
  // cgroup.procs, so empty it here: the pids above are not ours to signal.
  t.file(d + "cgroup.procs", "");
  ASSERT_TRUE(cg->kill_all(SIGKILL));
  EXPECT_EQ(t.read(d + "cgroup.kill"), "1");
}

TEST_F(CgroupFakeV2, OomWatcherCountsNewKills) {
  auto cg = Cgroup::create(h, "ecsd/task-1/web");
  ASSERT_TRUE(cg);
  populate_leaf("ecsd/task-1/web");
  t.file("ecsd/task-1/web/memory.events", "oom 3\noom_kill 3\n");
  auto w = OomWatcher::watch(*cg);
  ASSERT_TRUE(w) << w.error().str();
  struct pollfd pfd{w->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  EXPECT_EQ(w->consume().value(), 0u);  // kills before watch() do not count
  // The kernel rewrites memory.events in place; so do we.
  t.file("ecsd/task-1/web/memory.events", "oom 5\noom_kill 5\n");
  ASSERT_EQ(::poll(&pfd, 1, 1000), 1);
  EXPECT_EQ(w->consume().value(), 2u);
  EXPECT_EQ(w->consume().value(), 0u);
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);  // drained
}

TEST_F(CgroupFakeV2, RemoveIsIdempotent) {
  auto cg = Cgroup::create(h, "solo");
  ASSERT_TRUE(cg) << cg.error().str();
  EXPECT_TRUE(t.exists("solo"));
  ASSERT_TRUE(cg->remove());
  EXPECT_FALSE(t.exists("solo"));
  EXPECT_TRUE(cg->remove());  // missing is fine
}

}  // namespace
}  // namespace ecsd::cgroups
