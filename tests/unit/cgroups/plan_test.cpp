// The write plans for v1 and v2, with the current values given by a map.
#include <gtest/gtest.h>

#include "cgroups/internal.h"

namespace ecsd::cgroups {
namespace {

constexpr const char* kUnlimited = "9223372036854771712\n";

Reader reader(std::map<std::string, std::string> files) {
  return [files](std::string_view c, std::string_view f) -> Result<std::string> {
    auto it = files.find(std::string(c) + "/" + std::string(f));
    if (it == files.end()) return fail_sys(ENOENT, "open", std::string(c) + "/" + std::string(f));
    return it->second;
  };
}

std::vector<std::string> names(const std::vector<Write>& w) {
  std::vector<std::string> out;
  for (const auto& x : w) out.push_back(x.file + "=" + x.value);
  return out;
}

TEST(CgroupPlanV1, AllFieldsFreshCgroup) {
  Resources r;
  r.cpu_shares = 512;
  r.cpu_quota_us = 50000;
  r.cpu_period_us = 100000;
  r.cpuset_cpus = "0";
  r.cpuset_mems = "0";
  r.memory_limit = 16 << 20;
  r.memory_reservation = 8 << 20;
  r.memory_swap = 32 << 20;
  r.memory_swappiness = 10;
  r.pids_limit = 10;
  auto p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", kUnlimited},
                              {"memory/memory.limit_in_bytes", kUnlimited}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{
                           "cpu.shares=512", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000",
                           "cpuset.cpus=0", "cpuset.mems=0", "memory.soft_limit_in_bytes=8388608",
                           // from unlimited: lower memory first, then memory+swap
                           "memory.limit_in_bytes=16777216", "memory.memsw.limit_in_bytes=33554432",
                           "memory.swappiness=10", "pids.max=10"}));
  EXPECT_EQ((*p)[0].controller, "cpu");
  EXPECT_EQ((*p)[3].controller, "cpuset");
  EXPECT_EQ((*p)[9].controller, "pids");
}

TEST(CgroupPlanV1, RaisingWritesMemswFirst) {
  Resources r;
  r.memory_limit = 64 << 20;
  r.memory_swap = 64 << 20;
  auto p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", "16777216\n"},
                              {"memory/memory.limit_in_bytes", "16777216\n"}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.memsw.limit_in_bytes=67108864",
                                                 "memory.limit_in_bytes=67108864"}));
  r.memory_limit = -1;
  r.memory_swap = -1;
  p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", "16777216\n"}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"}));
}

TEST(CgroupPlanV1, LimitAloneAboveMemswIsRejected) {
  Resources r;
  r.memory_limit = 64 << 20;
  auto p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", "33554432\n"}}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().str().find("above the current memory+swap limit 33554432"), std::string::npos)
      << p.error().str();
  r.memory_limit = 16 << 20;
  p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", "33554432\n"}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.limit_in_bytes=16777216"}));
}

TEST(CgroupPlanV1, SwapAloneChecksCurrentLimit) {
  Resources r;
  r.memory_swap = 8 << 20;
  auto p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", kUnlimited},
                              {"memory/memory.limit_in_bytes", "16777216\n"}}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().str().find("below the current memory limit 16777216"), std::string::npos) << p.error().str();
  r.memory_swap = 32 << 20;
  p = plan_v1(r, reader({{"memory/memory.memsw.limit_in_bytes", kUnlimited},
                         {"memory/memory.limit_in_bytes", "16777216\n"}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.memsw.limit_in_bytes=33554432"}));
}

TEST(CgroupPlanV1, NoSwapAccounting) {
  Resources r;
  r.memory_limit = 16 << 20;
  r.memory_swap = 32 << 20;
  auto p = plan_v1(r, reader({}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().str().find("no swap accounting"), std::string::npos) << p.error().str();
  r.memory_swap = -1;
  p = plan_v1(r, reader({}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.limit_in_bytes=16777216"}));
}

TEST(CgroupPlan, InvalidValues) {
  auto check = [](Resources r, const char* needle) {
    for (bool v2 : {false, true}) {
      auto p = v2 ? plan_v2(r, reader({})) : plan_v1(r, reader({}));
      ASSERT_FALSE(p) << needle;
      EXPECT_NE(p.error().str().find(needle), std::string::npos) << p.error().str();
    }
  };
  Resources r;
  r.memory_limit = -5;
  check(r, "memory limit -5 is invalid");
  r = {};
  r.memory_swap = -2;
  check(r, "memory+swap limit -2 is invalid");
  r = {};
  r.memory_limit = 32 << 20;
  r.memory_swap = 16 << 20;
  check(r, "is below the memory limit");
  r = {};
  r.memory_limit = -1;
  r.memory_swap = 16 << 20;
  check(r, "needs a memory limit");
  r = {};
  r.cpu_quota_us = 500;
  check(r, "cpu quota 500us is invalid");
  r = {};
  r.cpu_period_us = 5000000;
  check(r, "cpu period 5000000us is invalid");
  r = {};
  r.memory_swappiness = 101;
  check(r, "swappiness 101");
}

TEST(CgroupPlan, ZeroMeansUnchangedAndPidsMax) {
  Resources r;
  r.memory_limit = 0;
  r.memory_swap = 0;
  r.cpu_shares = 0;
  r.pids_limit = 0;
  auto p1 = plan_v1(r, reader({}));
  ASSERT_TRUE(p1);
  EXPECT_EQ(names(*p1), (std::vector<std::string>{"pids.max=max"}));
  auto p2 = plan_v2(r, reader({}));
  ASSERT_TRUE(p2);
  EXPECT_EQ(names(*p2), (std::vector<std::string>{"pids.max=max"}));
  EXPECT_TRUE(plan_v1(Resources{}, reader({}))->empty());
}

TEST(CgroupPlanV2, AllFields) {
  Resources r;
  r.cpu_shares = 1024;
  r.cpu_quota_us = 50000;
  r.cpu_period_us = 100000;
  r.cpuset_cpus = "0-1";
  r.cpuset_mems = "0";
  r.memory_limit = 16 << 20;
  r.memory_reservation = 8 << 20;
  r.memory_swap = 48 << 20;
  r.memory_swappiness = 60;  // no v2 equivalent: ignored
  r.pids_limit = 10;
  auto p = plan_v2(r, reader({}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"cpu.weight=100", "cpu.max=50000 100000", "cpuset.cpus=0-1",
                                                 "cpuset.mems=0", "memory.low=8388608", "memory.max=16777216",
                                                 "memory.swap.max=33554432", "pids.max=10"}));
}

TEST(CgroupPlanV2, HalvesOfCpuMaxAndSwapFromCurrent) {
  Resources r;
  r.cpu_quota_us = -1;
  auto p = plan_v2(r, reader({{"cpu/cpu.max", "20000 50000\n"}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"cpu.max=max 50000"}));
  r = {};
  r.cpu_period_us = 10000;
  p = plan_v2(r, reader({{"cpu/cpu.max", "20000 50000\n"}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(names(*p), (std::vector<std::string>{"cpu.max=20000 10000"}));
  r = {};
  r.memory_swap = 16 << 20;  // memory+swap == memory: no swap at all
  p = plan_v2(r, reader({{"memory/memory.max", "16777216\n"}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.swap.max=0"}));
  p = plan_v2(r, reader({{"memory/memory.max", "max\n"}}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().str().find("needs a memory limit"), std::string::npos);
  r.memory_swap = -1;
  r.memory_limit = -1;
  p = plan_v2(r, reader({}));
  ASSERT_TRUE(p);
  EXPECT_EQ(names(*p), (std::vector<std::string>{"memory.max=max", "memory.swap.max=max"}));
}

}  // namespace
}  // namespace ecsd::cgroups
