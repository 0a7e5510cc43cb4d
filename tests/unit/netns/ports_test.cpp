#include "netns/ports.h"

#include <gtest/gtest.h>

#include <set>

using namespace ecsd::netns;

TEST(PortRange, Parses) {
  auto r = parse_port_range("49153-65535");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 49153);
  EXPECT_EQ(r->last, 65535);
  EXPECT_FALSE(parse_port_range("5-1"));
  EXPECT_FALSE(parse_port_range("0-10"));
  EXPECT_FALSE(parse_port_range("100"));
  EXPECT_FALSE(parse_port_range("1-70000"));
}

TEST(PortList, ParsesEcsReservedPortsFormats) {
  auto a = parse_port_list("[22, 2375, 2376, 51678, 51679]");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (std::vector<uint16_t>{22, 2375, 2376, 51678, 51679}));
  auto b = parse_port_list("80,443");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (std::vector<uint16_t>{80, 443}));
  auto c = parse_port_list("[]");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->empty());
  EXPECT_FALSE(parse_port_list("[22, x]"));
}

TEST(AssignPorts, StaticAndDynamicDistinctAndOutsideReserved) {
  PortAllocator a;
  a.dynamic = {40000, 40009};
  a.reserved = {40000, 40001, 40003};
  std::vector<PortMapping> m = {{80, 0, 8080, Protocol::tcp}, {80, 0, 0, Protocol::tcp},
                                {81, 0, 0, Protocol::tcp},   {53, 0, 0, Protocol::udp}};
  auto b = assign_host_ports(m, false, a);
  ASSERT_TRUE(b) << b.error().str();
  ASSERT_EQ(b->size(), 4u);
  EXPECT_EQ((*b)[0], (PortBinding{"0.0.0.0", 80, 8080, Protocol::tcp}));
  EXPECT_EQ((*b)[1].host_port, 40002);
  EXPECT_EQ((*b)[2].host_port, 40004);
  EXPECT_EQ((*b)[3].protocol, Protocol::udp);
  EXPECT_EQ((*b)[3].host_port, 40005);
}

TEST(AssignPorts, SkipsOwnedAndBusyPorts) {
  PortAllocator a;
  a.dynamic = {40000, 40004};
  a.owner = [](Protocol, uint16_t p) { return p == 40000 ? std::string("other") : std::string(); };
  a.in_use = [](Protocol p, uint16_t port) { return p == Protocol::tcp && port == 40001; };
  auto b = assign_host_ports({{80, 0, 0, Protocol::tcp}, {80, 0, 0, Protocol::udp}}, false, a);
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)[0].host_port, 40002);
  EXPECT_EQ((*b)[1].host_port, 40003);  // the cursor moved on
}

TEST(AssignPorts, StaticConflictsAreClearErrors) {
  PortAllocator a;
  a.reserved = {22};
  a.owner = [](Protocol p, uint16_t port) {
    return p == Protocol::tcp && port == 8080 ? std::string("task-a") : std::string();
  };
  a.in_use = [](Protocol, uint16_t port) { return port == 9090; };
  auto e1 = assign_host_ports({{80, 0, 8080, Protocol::tcp}}, false, a);
  ASSERT_FALSE(e1);
  EXPECT_NE(e1.error().str().find("8080/tcp is already taken by task task-a"), std::string::npos) << e1.error().str();
  EXPECT_TRUE(assign_host_ports({{80, 0, 8080, Protocol::udp}}, false, a));  // other protocol is free
  auto e2 = assign_host_ports({{80, 0, 22, Protocol::tcp}}, false, a);
  ASSERT_FALSE(e2);
  EXPECT_NE(e2.error().str().find("reserved"), std::string::npos);
  auto e3 = assign_host_ports({{80, 0, 9090, Protocol::tcp}}, false, a);
  ASSERT_FALSE(e3);
  EXPECT_NE(e3.error().str().find("in use by a process on the host"), std::string::npos);
  auto e4 = assign_host_ports({{80, 0, 7000, Protocol::tcp}, {81, 0, 7000, Protocol::tcp}}, false, a);
  ASSERT_FALSE(e4);
  EXPECT_NE(e4.error().str().find("mapped twice"), std::string::npos);
  EXPECT_FALSE(assign_host_ports({{0, 0, 7000, Protocol::tcp}}, false, a));
}

TEST(AssignPorts, ContainerPortRangeGetsContiguousHostPorts) {
  PortAllocator a;
  a.dynamic = {40000, 40020};
  a.reserved = {40002};
  auto b = assign_host_ports({{1000, 1004, 0, Protocol::tcp}}, false, a);
  ASSERT_TRUE(b) << b.error().str();
  ASSERT_EQ(b->size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*b)[i].container_port, 1000 + i);
    EXPECT_EQ((*b)[i].host_port, 40003 + i);
  }
  EXPECT_FALSE(assign_host_ports({{1000, 999, 0, Protocol::tcp}}, false, a));
  EXPECT_FALSE(assign_host_ports({{1000, 1001, 5000, Protocol::tcp}}, false, a));
  PortAllocator small;
  small.dynamic = {40000, 40002};
  auto e = assign_host_ports({{1000, 1009, 0, Protocol::tcp}}, false, small);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().str().find("dynamic range"), std::string::npos);
}

TEST(AssignPorts, ExhaustedRangeFails) {
  PortAllocator a;
  a.dynamic = {40000, 40001};
  auto b = assign_host_ports({{1, 0, 0, Protocol::tcp}, {2, 0, 0, Protocol::tcp}}, false, a);
  ASSERT_TRUE(b);
  auto e = assign_host_ports({{1, 0, 0, Protocol::tcp}, {2, 0, 0, Protocol::tcp}, {3, 0, 0, Protocol::tcp}},
                             false, a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().str().find("no free host port"), std::string::npos);
}

TEST(AssignPorts, HostModeUsesContainerPorts) {
  PortAllocator a;
  a.in_use = [](Protocol, uint16_t port) { return port == 22; };
  auto b = assign_host_ports({{8080, 0, 0, Protocol::tcp}, {8081, 0, 8081, Protocol::udp}}, true, a);
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)[0], (PortBinding{"0.0.0.0", 8080, 8080, Protocol::tcp}));
  EXPECT_EQ((*b)[1], (PortBinding{"0.0.0.0", 8081, 8081, Protocol::udp}));
  EXPECT_FALSE(assign_host_ports({{8080, 0, 9000, Protocol::tcp}}, true, a));
  auto e = assign_host_ports({{22, 0, 0, Protocol::tcp}}, true, a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().str().find("in use"), std::string::npos);
}

TEST(AssignPorts, DynamicPortsRotateAcrossCalls) {
  PortAllocator a;
  a.dynamic = {40000, 40999};
  std::set<uint16_t> seen;
  for (int i = 0; i < 20; ++i) {
    auto b = assign_host_ports({{80, 0, 0, Protocol::tcp}}, false, a);
    ASSERT_TRUE(b);
    EXPECT_TRUE(seen.insert((*b)[0].host_port).second);
  }
}

TEST(AssignPorts, ReservedPortsArePerProtocol) {
  PortAllocator a;
  a.dynamic = {40000, 40003};
  a.reserved = {40000};          // tcp only
  a.reserved_udp = {40001};      // udp only
  auto e = assign_host_ports({{53, 0, 40001, Protocol::udp}}, false, a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().str().find("40001/udp is reserved"), std::string::npos) << e.error().str();
  EXPECT_TRUE(assign_host_ports({{53, 0, 40001, Protocol::tcp}}, false, a));
  EXPECT_TRUE(assign_host_ports({{53, 0, 40000, Protocol::udp}}, false, a));
  PortAllocator d = a;
  auto t = assign_host_ports({{80, 0, 0, Protocol::tcp}}, false, d);
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)[0].host_port, 40001);
  PortAllocator u = a;
  auto v = assign_host_ports({{80, 0, 0, Protocol::udp}}, false, u);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)[0].host_port, 40000);
}
