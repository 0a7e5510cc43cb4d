#include "netns/nft_rules.h"

#include <gtest/gtest.h>

using namespace ecsd::netns;

namespace {
bool has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }
}  // namespace

TEST(NftRules, TableReplacesItselfAndHoldsBridgeBindingsOnly) {
  TableSpec spec;
  spec.table = "ecsd_t";
  spec.bridge = "tbr0";
  spec.subnet = "10.77.0.0/16";
  spec.agent_port = 41000;
  spec.agent_local_ports = {41000, 41001};
  State st;
  st.tasks.push_back({"a", "bridge", *parse_ipv4("10.77.0.2"), "v",
                      {{"0.0.0.0", 80, 8080, Protocol::tcp}, {"0.0.0.0", 53, 5353, Protocol::udp}}});
  st.tasks.push_back({"h", "host", 0, "", {{"0.0.0.0", 9000, 9000, Protocol::tcp}}});
  std::string s = table_script(spec, st);
  EXPECT_EQ(s.rfind("table ip ecsd_t {}\ndelete table ip ecsd_t\ntable ip ecsd_t {\n", 0), 0u) << s;
  EXPECT_TRUE(has(s, "elements = { 8080 : 10.77.0.2 . 80 }"));
  EXPECT_TRUE(has(s, "elements = { 5353 : 10.77.0.2 . 53 }"));
  EXPECT_FALSE(has(s, "9000"));  // host mode ports are not DNATed
  EXPECT_TRUE(has(s, "iifname \"tbr0\" ip daddr 169.254.170.2 tcp dport 80 dnat ip to 127.0.0.1:41000"));
  EXPECT_TRUE(has(s, "oifname != \"tbr0\" ip saddr 10.77.0.0/16 masquerade"));
  EXPECT_TRUE(has(s, "elements = { 41000, 41001 }"));
  EXPECT_TRUE(has(s, "ct status & dnat == 0 drop"));
  spec.agent_endpoint_from_host = false;
  std::string t = table_script(spec, st);
  EXPECT_EQ(t.find("chain output {\n    type nat hook output priority -100; policy accept;\n    ip daddr 169"),
            std::string::npos);
}

TEST(NftRules, ElementScripts) {
  std::vector<PortBinding> b = {{"0.0.0.0", 80, 49153, Protocol::tcp},
                                {"0.0.0.0", 81, 49154, Protocol::tcp},
                                {"0.0.0.0", 53, 49155, Protocol::udp}};
  EXPECT_EQ(add_bindings_script("ecsd", *parse_ipv4("172.17.0.9"), b),
            "add element ip ecsd tcp_dnat { 49153 : 172.17.0.9 . 80, 49154 : 172.17.0.9 . 81 }\n"
            "add element ip ecsd udp_dnat { 49155 : 172.17.0.9 . 53 }\n");
  EXPECT_EQ(delete_bindings_script("ecsd", b),
            "delete element ip ecsd tcp_dnat { 49153, 49154 }\n"
            "delete element ip ecsd udp_dnat { 49155 }\n");
  EXPECT_EQ(add_bindings_script("ecsd", 1, {}), "");
  EXPECT_EQ(delete_table_script("x"), "table ip x {}\ndelete table ip x\n");
}
