#include <gtest/gtest.h>

#include "agent/task/model.h"

namespace ecsd::task {
namespace {

TEST(TaskSizes, CpuUnitsAndVcpu) {
  EXPECT_EQ(parse_task_cpu("256").value(), 256);
  EXPECT_EQ(parse_task_cpu("1024").value(), 1024);
  EXPECT_EQ(parse_task_cpu("0.25 vCPU").value(), 256);
  EXPECT_EQ(parse_task_cpu("1 vcpu").value(), 1024);
  EXPECT_EQ(parse_task_cpu("2vCPU").value(), 2048);
  EXPECT_EQ(parse_task_cpu(" 0.5 VCPU ").value(), 512);
  EXPECT_FALSE(parse_task_cpu("0.5").has_value());  // fractional units
  EXPECT_FALSE(parse_task_cpu("1 core").has_value());
  EXPECT_FALSE(parse_task_cpu("").has_value());
  EXPECT_FALSE(parse_task_cpu("abc").has_value());
  EXPECT_FALSE(parse_task_cpu("0").has_value());
  EXPECT_FALSE(parse_task_cpu("0.0001 vCPU").has_value());  // not a whole unit
}

TEST(TaskSizes, MemoryMibAndGb) {
  EXPECT_EQ(parse_task_memory("512").value(), 512);
  EXPECT_EQ(parse_task_memory("1 GB").value(), 1024);
  EXPECT_EQ(parse_task_memory("2GB").value(), 2048);
  EXPECT_EQ(parse_task_memory("0.5 gb").value(), 512);
  EXPECT_FALSE(parse_task_memory("1.5").has_value());
  EXPECT_FALSE(parse_task_memory("1 TB").has_value());
  EXPECT_FALSE(parse_task_memory("-1").has_value());
  auto e = parse_task_memory("12 parsecs");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("parsecs"), std::string::npos);
}

TEST(Environment, SortedLastWins) {
  auto env = normalize_environment({{"B", "1"}, {"A", "x"}, {"B", "2"}, {"C", ""}});
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[0], (KeyValue{"A", "x"}));
  EXPECT_EQ(env[1], (KeyValue{"B", "2"}));
  EXPECT_EQ(env[2], (KeyValue{"C", ""}));
}

TEST(Names, Valid) {
  EXPECT_TRUE(valid_name("web-1_a"));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("web.1"));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_TRUE(valid_name(std::string(255, 'a')));
  EXPECT_FALSE(valid_name(std::string(256, 'a')));
}

}  // namespace
}  // namespace ecsd::task
