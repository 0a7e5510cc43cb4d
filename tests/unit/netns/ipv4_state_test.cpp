#include <gtest/gtest.h>

#include "netns/ipv4.h"
#include "netns/state.h"

using namespace ecsd::netns;

TEST(Ipv4, ParseFormatCidr) {
  auto a = parse_ipv4("172.17.0.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(format_ipv4(*a), "172.17.0.2");
  EXPECT_FALSE(parse_ipv4("172.17.0"));
  auto c = parse_cidr("10.1.0.0/16");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "10.1.0.0/16");
  EXPECT_EQ(format_ipv4(c->gateway()), "10.1.0.1");
  EXPECT_EQ(format_ipv4(c->broadcast()), "10.1.255.255");
  EXPECT_FALSE(parse_cidr("10.1.0.1/16"));  // host bits
  EXPECT_FALSE(parse_cidr("10.1.0.0/33"));
  EXPECT_TRUE(c->overlaps(*parse_cidr("10.1.2.0/24")));
  EXPECT_TRUE(c->overlaps(*parse_cidr("10.0.0.0/8")));
  EXPECT_FALSE(c->overlaps(*parse_cidr("10.2.0.0/16")));
}

TEST(Ipv4, PicksFirstSubnetNoRouteOverlaps) {
  auto s = pick_private_subnet({*parse_cidr("192.0.2.0/24")});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->str(), "172.17.0.0/16");
  s = pick_private_subnet({*parse_cidr("172.17.5.0/24"), *parse_cidr("172.18.0.0/15")});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->str(), "172.20.0.0/16");
  EXPECT_FALSE(pick_private_subnet({*parse_cidr("172.16.0.0/12")}));
}

TEST(Ipam, SkipsGatewayAndUsedAndRotates) {
  Cidr net = *parse_cidr("10.9.0.0/29");  // .2 .. .6 usable
  State st;
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto a = allocate_ip(net, st);
    ASSERT_TRUE(a);
    got.push_back(format_ipv4(*a));
    st.tasks.push_back({"t" + std::to_string(i), "bridge", *a, "", {}});
  }
  EXPECT_EQ(got, (std::vector<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}));
  EXPECT_FALSE(allocate_ip(net, st));  // full
  st.erase("t1");                       // frees .3
  auto a = allocate_ip(net, st);
  ASSERT_TRUE(a);
  EXPECT_EQ(format_ipv4(*a), "10.9.0.3");
}

TEST(State, RoundTripsAndNeverReusesAfterReload) {
  State st;
  st.subnet = "172.30.0.0/16";
  Cidr net = *parse_cidr(st.subnet);
  auto a = allocate_ip(net, st);
  ASSERT_TRUE(a);
  st.tasks.push_back({"task-1", "bridge", *a, "vecsd01234567",
                      {{"0.0.0.0", 80, 49153, Protocol::tcp}, {"0.0.0.0", 53, 49154, Protocol::udp}}});
  st.tasks.push_back({"task-2", "host", 0, "", {{"0.0.0.0", 8080, 8080, Protocol::tcp}}});
  st.port_cursor = 49155;
  auto back = parse_state(format_state(st));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(format_state(*back), format_state(st));
  EXPECT_EQ(back->port_owner(Protocol::udp, 49154), "task-1");
  EXPECT_EQ(back->port_owner(Protocol::tcp, 49154), "");
  EXPECT_EQ(back->port_owner(Protocol::tcp, 8080), "task-2");
  // A fresh allocator over the reloaded state does not hand out task-1's address,
  // even with the cursor lost.
  back->ip_cursor = 0;
  auto b = allocate_ip(net, *back);
  ASSERT_TRUE(b);
  EXPECT_NE(*b, *a);
}

TEST(State, RejectsCorruptText) {
  EXPECT_FALSE(parse_state(""));
  EXPECT_FALSE(parse_state("something else\n"));
  EXPECT_FALSE(parse_state("ecsd-network-state 1\ntask a/b bridge - -\n"));
  EXPECT_FALSE(parse_state("ecsd-network-state 1\nbind x tcp 1 2\n"));
  EXPECT_FALSE(parse_state("ecsd-network-state 1\ntask a bridge 1.2.3 -\n"));
}

TEST(Names, TaskIdsAndVethNames) {
  EXPECT_TRUE(validate_task_id("0123abcd-ef.x_y"));
  EXPECT_FALSE(validate_task_id(""));
  EXPECT_FALSE(validate_task_id(".."));
  EXPECT_FALSE(validate_task_id("arn:aws:ecs:task/x"));
  std::string v = host_veth_name("vecsd", "ecs-br0", "task-1");
  EXPECT_EQ(v.size(), 13u);
  EXPECT_EQ(v.rfind("vecsd", 0), 0u);
  EXPECT_EQ(v, host_veth_name("vecsd", "ecs-br0", "task-1"));
  EXPECT_NE(v, host_veth_name("vecsd", "ecs-br0", "task-2"));
  EXPECT_NE(v, host_veth_name("vecsd", "other-br", "task-1"));
  EXPECT_LE(host_veth_name("longprefix", "b", "t").size(), 15u);
}
