#include <gtest/gtest.h>

#include "cgroups/internal.h"

namespace ecsd::cgroups {
namespace {

// Amazon Linux 2 style: v1 with a joint cpu,cpuacct mount and symlinks.
constexpr const char* kV1Joint =
    "22 1 259:1 / / rw,noatime shared:1 - xfs /dev/nvme0n1p1 rw,attr2\n"
    "24 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw\n"
    "25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup "
    "rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory\n"
    "31 25 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuset\n"
    "32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,pids\n"
    "33 25 0:30 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
    "rw,net_cls,net_prio\n"
    "34 25 0:31 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,devices\n";

// This host: hybrid, cpu and cpuacct separate, cgroup2 at unified.
constexpr const char* kHybrid =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    // A bind mount of the memory hierarchy elsewhere must not win.
    "50 22 0:32 /x /mnt/mem\\040copy rw,relatime - cgroup cgroup rw,memory\n";

// AL2023 / Bottlerocket: pure v2.
constexpr const char* kV2 =
    "22 1 259:1 / / rw,noatime shared:1 - xfs /dev/nvme0n1p1 rw\n"
    "26 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,seclabel,nsdelegate,memory_recursiveprot\n";

TEST(CgroupMountinfo, V1JointCpuCpuacct) {
  auto all = parse_mountinfo(kV1Joint);
  ASSERT_TRUE(all) << all.error().str();
  auto m = mounts_under(*all, "/sys/fs/cgroup");
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[0].dir, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(m[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ(m[1].dir, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_FALSE(m[1].unified);
  EXPECT_EQ(m[5].controllers, (std::vector<std::string>{"net_cls", "net_prio"}));

  auto h = Hierarchy::from_mounts(Layout::kV1, m);
  ASSERT_NE(h.mount_for("cpu"), nullptr);
  EXPECT_EQ(h.mount_for("cpu"), h.mount_for("cpuacct"));
  EXPECT_EQ(h.mount_for("memory")->dir, "/sys/fs/cgroup/memory");
  EXPECT_EQ(h.mount_for("hugetlb"), nullptr);
  EXPECT_EQ(h.unified(), nullptr);

  // A cgroup there has one directory for cpu and cpuacct together.
  auto cg = Cgroup::open(h, "x");  // does not exist on this machine
  EXPECT_FALSE(cg);
}

TEST(CgroupMountinfo, HybridSeparateCpuAndCpuacct) {
  auto all = parse_mountinfo(kHybrid);
  ASSERT_TRUE(all) << all.error().str();
  ASSERT_EQ(all->size(), 9u);
  EXPECT_EQ(all->back().dir, "/mnt/mem copy");  // \040 unescaped
  auto m = mounts_under(*all, "/sys/fs/cgroup/");
  ASSERT_EQ(m.size(), 8u);
  auto h = Hierarchy::from_mounts(Layout::kHybrid, m);
  EXPECT_EQ(h.mount_for("cpu")->dir, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(h.mount_for("cpuacct")->dir, "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(h.mount_for("memory")->dir, "/sys/fs/cgroup/memory");
  ASSERT_NE(h.unified(), nullptr);
  EXPECT_EQ(h.unified()->dir, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(h.unified()->controllers.empty());
}

TEST(CgroupMountinfo, PureV2) {
  auto all = parse_mountinfo(kV2);
  ASSERT_TRUE(all) << all.error().str();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].unified);
  EXPECT_EQ((*all)[0].dir, "/sys/fs/cgroup");
  auto m = mounts_under(*all, "/sys/fs/cgroup");
  ASSERT_EQ(m.size(), 1u);
  m[0].controllers = {"cpuset", "cpu", "io", "memory", "pids"};
  auto h = Hierarchy::from_mounts(Layout::kV2, m);
  EXPECT_EQ(h.mount_for("memory"), h.unified());
  EXPECT_EQ(h.mount_for("cpu"), h.unified());
  EXPECT_EQ(h.mount_for("hugetlb"), nullptr);
  EXPECT_EQ(h.mount_for("cpuacct"), nullptr);
}

TEST(CgroupMountinfo, RejectsGarbage) {
  EXPECT_FALSE(parse_mountinfo("this is not mountinfo\n"));
  EXPECT_FALSE(parse_mountinfo("1 2 3 - cgroup\n"));
  auto empty = parse_mountinfo("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(CgroupDetect, ThisHostIsHybrid) {
  // The machine the suite runs on (see docs/cgroups.md): hybrid, separate
  // cpu and cpuacct mounts. detect() needs no root.
  auto h = Hierarchy::detect();
  ASSERT_TRUE(h) << h.error().str();
  EXPECT_EQ(h->layout(), Layout::kHybrid) << to_string(h->layout());
  ASSERT_NE(h->mount_for("memory"), nullptr);
  EXPECT_EQ(h->mount_for("memory")->dir, "/sys/fs/cgroup/memory");
  ASSERT_NE(h->unified(), nullptr);
  EXPECT_EQ(h->unified()->dir, "/sys/fs/cgroup/unified");
}

TEST(CgroupDetect, NotACgroupFs) {
  auto h = Hierarchy::detect("/proc");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().str().find("neither cgroup2 nor tmpfs"), std::string::npos) << h.error().str();
  EXPECT_FALSE(Hierarchy::detect("/does/not/exist"));
}

TEST(CgroupParse, Numbers) {
  EXPECT_EQ(parse_u64("123\n").value(), 123u);
  EXPECT_FALSE(parse_u64(""));
  EXPECT_FALSE(parse_u64("-1"));
  EXPECT_FALSE(parse_u64("12abc"));
  EXPECT_EQ(parse_limit("max\n").value(), UINT64_MAX);
  EXPECT_EQ(parse_limit("9223372036854771712\n").value(), UINT64_MAX);
  EXPECT_EQ(parse_limit("16777216").value(), 16777216u);
  EXPECT_FALSE(parse_limit("lots"));
}

TEST(CgroupParse, KeyedAndPids) {
  auto m = parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\nbad line here\n\n");
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m["oom_kill"], 3u);
  auto p = parse_pids("12\n345\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<pid_t>{12, 345}));
  EXPECT_TRUE(parse_pids("")->empty());
  EXPECT_FALSE(parse_pids("12\nx\n"));
  EXPECT_FALSE(parse_pids("0\n"));
}

TEST(CgroupPath, Validation) {
  for (const char* ok : {"a", "ecsd/task-1/web", "a.b/c_d", "x/.hidden"}) EXPECT_TRUE(validate_rel_path(ok)) << ok;
  for (const char* bad : {"", "/abs", "a/", "a//b", "..", "a/../b", "a/..", "./a", "a/./b", "a\nb"})
    EXPECT_FALSE(validate_rel_path(bad)) << bad;
  EXPECT_FALSE(validate_rel_path(std::string_view("a\0b", 3)));
  EXPECT_FALSE(validate_rel_path(std::string(256, 'x')));
  EXPECT_TRUE(validate_rel_path(std::string(255, 'x')));
  auto e = validate_rel_path("a/../../etc");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().str().find("'..' component"), std::string::npos) << e.error().str();
}

TEST(CgroupWeight, KnownPoints) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 100u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  EXPECT_EQ(shares_to_weight(0), 0u);           // unset
  EXPECT_EQ(shares_to_weight(1), 1u);           // clamped to 2
  EXPECT_EQ(shares_to_weight(1u << 30), 10000u);  // clamped to 262144
  // Values from the formula weight = ceil(10^((l^2+125l)/612 - 7/34)).
  EXPECT_EQ(shares_to_weight(512), 59u);
  EXPECT_EQ(shares_to_weight(2048), 174u);
  EXPECT_EQ(shares_to_weight(128), 21u);
}

TEST(CgroupWeight, MonotonicAndInRange) {
  uint64_t prev = 0;
  for (uint64_t s = 2; s <= 262144; ++s) {
    uint64_t w = shares_to_weight(s);
    ASSERT_GE(w, prev) << "shares " << s;
    ASSERT_GE(w, 1u);
    ASSERT_LE(w, 10000u);
    prev = w;
  }
}

TEST(CgroupStats, V1) {
  StatsInputV1 in;
  in.cpuacct_usage = "5000000000\n";
  in.cpuacct_stat = "user 300\nsystem 100\n";
  in.memory_usage = "1048576\n";
  in.memory_max_usage = "2097152\n";
  in.memory_limit = "9223372036854771712\n";
  in.memory_stat = "cache 4096\nrss 8192\ntotal_cache 12288\ntotal_rss 8192\n";
  in.memory_oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
  in.pids_current = "3\n";
  in.pids_max = "max\n";
  auto s = stats_from_v1(in, 100);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->cpu_usage_ns, 5000000000u);
  EXPECT_EQ(s->cpu_user_ns, 3000000000u);
  EXPECT_EQ(s->cpu_system_ns, 1000000000u);
  EXPECT_EQ(s->memory_usage, 1048576u);
  EXPECT_EQ(s->memory_max_usage, 2097152u);
  EXPECT_EQ(s->memory_limit, UINT64_MAX);
  EXPECT_EQ(s->memory_cache, 12288u);
  EXPECT_EQ(s->oom_kills, 2u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->pids_limit, UINT64_MAX);

  // usage_user / usage_sys (ns) win over the tick counts.
  in.cpuacct_usage_user = "7\n";
  in.cpuacct_usage_sys = "9\n";
  s = stats_from_v1(in, 100);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpu_user_ns, 7u);
  EXPECT_EQ(s->cpu_system_ns, 9u);

  in.memory_usage = "garbage";
  s = stats_from_v1(in, 100);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().str().find("memory.usage_in_bytes"), std::string::npos) << s.error().str();
}

TEST(CgroupStats, V2) {
  StatsInputV2 in;
  in.cpu_stat = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n";
  in.memory_current = "4096\n";
  in.memory_max = "16777216\n";
  in.memory_stat = "anon 8192\nfile 20480\n";
  in.memory_events = "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n";
  in.pids_current = "1\n";
  in.pids_max = "10\n";
  auto s = stats_from_v2(in);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->cpu_usage_ns, 1500000u);
  EXPECT_EQ(s->cpu_user_ns, 1000000u);
  EXPECT_EQ(s->cpu_system_ns, 500000u);
  EXPECT_EQ(s->memory_usage, 4096u);
  EXPECT_EQ(s->memory_max_usage, 0u);  // no memory.peak on this kernel
  EXPECT_EQ(s->memory_limit, 16777216u);
  EXPECT_EQ(s->memory_cache, 20480u);
  EXPECT_EQ(s->oom_kills, 1u);
  EXPECT_EQ(s->pids_limit, 10u);
  in.memory_peak = "65536\n";
  EXPECT_EQ(stats_from_v2(in)->memory_max_usage, 65536u);
}

}  // namespace
}  // namespace ecsd::cgroups
