#include "agent/host/host_rules.h"

#include <gtest/gtest.h>

using namespace ecsd::host;

TEST(HostRules, DefaultTableDnatsMetadataAndFiltersLocalhost) {
  HostRulesSpec s;
  std::string t = host_table_script(s);
  EXPECT_NE(t.find("table ip ecsd_host {"), std::string::npos);
  EXPECT_NE(t.find("iifname \"ecs-br0\" ip daddr 169.254.170.2 tcp dport 80 dnat ip to 127.0.0.1:51679"),
            std::string::npos);
  EXPECT_NE(t.find("type nat hook output priority -100"), std::string::npos);
  EXPECT_NE(t.find("iifname != \"lo\" ip daddr 127.0.0.0/8 tcp dport { 51678, 51679 } ct status & dnat == 0 drop"),
            std::string::npos);
  // Recreates the table in one transaction: declare, delete, define.
  EXPECT_EQ(t.find("table ip ecsd_host {}\ndelete table ip ecsd_host\n"), 0u);
}

TEST(HostRules, NoProtectedPortsMeansNoFilterRule) {
  HostRulesSpec s;
  s.protected_ports.clear();
  EXPECT_EQ(host_table_script(s).find("drop"), std::string::npos);
}

TEST(HostRules, CustomPortsAndNames) {
  HostRulesSpec s;
  s.table = "t_1";
  s.bridge = "br-x";
  s.agent_port = 40000;
  s.protected_ports = {40000};
  std::string t = host_table_script(s);
  EXPECT_NE(t.find("dnat ip to 127.0.0.1:40000"), std::string::npos);
  EXPECT_NE(t.find("tcp dport { 40000 }"), std::string::npos);
  EXPECT_NE(t.find("\"br-x\""), std::string::npos);
}

TEST(HostRules, ValidateRejectsInjection) {
  HostRulesSpec s;
  EXPECT_EQ(validate(s), "");
  s.table = "x; flush ruleset";
  EXPECT_NE(validate(s), "");
  s = {};
  s.bridge = "a\"b";
  EXPECT_NE(validate(s), "");
  s = {};
  s.bridge = "sixteen-chars-xx";
  EXPECT_NE(validate(s), "");
  s = {};
  s.metadata_ip = "169.254.170";
  EXPECT_NE(validate(s), "");
  s = {};
  s.agent_port = 0;
  EXPECT_NE(validate(s), "");
}

TEST(HostRules, DeleteScriptToleratesAbsentTable) {
  EXPECT_EQ(delete_host_table_script("ecsd_host"), "table ip ecsd_host {}\ndelete table ip ecsd_host\n");
}
