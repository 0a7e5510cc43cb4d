#include "agent/engine/host_resources.h"

#include <gtest/gtest.h>

using namespace ecsd::engine;
using namespace ecsd::task;

namespace {
Task two_containers() {
  Task t;
  t.network_mode = NetworkMode::host;
  ContainerModel a;
  a.name = "a";
  a.cpu = 256;
  a.memory_mib = 128;
  PortMapping p;
  p.container_port = 80;
  a.port_mappings.push_back(p);
  ContainerModel b;
  b.name = "b";
  b.cpu = 128;
  b.memory_reservation_mib = 64;
  t.containers = {a, b};
  return t;
}
}  // namespace

TEST(HostResources, SumsContainersWhenNoTaskLevelSizes) {
  auto n = task_need(two_containers());
  EXPECT_EQ(n.cpu, 384);
  EXPECT_EQ(n.memory_mib, 192);
  EXPECT_EQ(n.ports.size(), 1u);
  EXPECT_TRUE(n.ports.count({80, "tcp"}));
}

TEST(HostResources, TaskLevelSizesWin) {
  auto t = two_containers();
  t.cpu_units = 1024;
  t.memory_mib = 2048;
  auto n = task_need(t);
  EXPECT_EQ(n.cpu, 1024);
  EXPECT_EQ(n.memory_mib, 2048);
}

TEST(HostResources, PortsOnlyInHostMode) {
  auto t = two_containers();
  t.network_mode = NetworkMode::none;
  EXPECT_TRUE(task_need(t).ports.empty());
}

TEST(HostResources, CapacityAndUse) {
  HostCapacity cap{2048, 1000, {{22, "tcp"}}};
  auto n = task_need(two_containers());
  EXPECT_TRUE(fits_capacity(n, cap));
  ResourceNeed used;
  used.memory_mib = 900;
  auto s = fits_now(n, used, cap);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("memory"), std::string::npos);
  used = {};
  used.ports.insert({80, "tcp"});
  s = fits_now(n, used, cap);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("port 80"), std::string::npos);
  used = ResourceNeed{};
  EXPECT_TRUE(fits_now(n, used, cap));
  n.memory_mib = 5000;
  auto c = fits_capacity(n, cap);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("memory"), std::string::npos);
}

TEST(HostResources, ReservedPortIsRejected) {
  HostCapacity cap{4096, 4096, {{80, "tcp"}}};
  auto s = fits_capacity(task_need(two_containers()), cap);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("reserved"), std::string::npos);
}
