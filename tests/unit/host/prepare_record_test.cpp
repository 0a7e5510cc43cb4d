#include <gtest/gtest.h>

#include "agent/host/prepare.h"

using namespace ecsd::host;

TEST(PrepareRecord, RoundTrips) {
  Record r;
  r.sysctls.push_back({"net/ipv4/ip_forward", "0", "1", false});
  r.sysctls.push_back({"net/ipv4/conf/eth9/route_localnet", "0", "1", true});
  r.table = "ecsd_host";
  r.dirs_created = {"/var/lib/ecs/data"};
  auto back = record_from_json(record_to_json(r));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->sysctls.size(), 2u);
  EXPECT_EQ(back->sysctls[0].key, "net/ipv4/ip_forward");
  EXPECT_FALSE(back->sysctls[0].restore);
  EXPECT_TRUE(back->sysctls[1].restore);
  EXPECT_EQ(back->table, "ecsd_host");
  EXPECT_EQ(back->dirs_created, r.dirs_created);
}

TEST(PrepareRecord, MergeKeepsTheHostsOriginalValue) {
  Record r;
  merge_change(r, {"net/ipv4/ip_forward", "0", "1", false});
  // Someone reset it to 2 meanwhile and a second prepare changed it again.
  merge_change(r, {"net/ipv4/ip_forward", "2", "1", false});
  ASSERT_EQ(r.sysctls.size(), 1u);
  EXPECT_EQ(r.sysctls[0].previous, "0");
}

TEST(PrepareRecord, RejectsBadInput) {
  EXPECT_FALSE(record_from_json("not json"));
  EXPECT_FALSE(record_from_json("[]"));
  EXPECT_FALSE(record_from_json(R"({"sysctls":[{"key":"../../etc/passwd","previous":"","value":"1"}]})"));
  EXPECT_FALSE(record_from_json(R"({"sysctls":[{"key":"/etc/x","previous":"","value":"1"}]})"));
  EXPECT_FALSE(record_from_json(R"({"sysctls":[{"previous":"","value":"1"}]})"));
  EXPECT_TRUE(record_from_json(R"({})"));
}
