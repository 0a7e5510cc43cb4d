#include "agent/engine/user_lookup.h"

#include <gtest/gtest.h>

using namespace ecsd::engine;

namespace {
const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# comment\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n"
    "web:x:33:33:www:/var/www:/bin/false\n";
const char* kGroup =
    "root:x:0:\n"
    "app:x:1000:\n"
    "web:x:33:\n"
    "audio:x:29:app,web\n"
    "video:x:44:app\n"
    "staff:x:50:web\n";
}  // namespace

TEST(UserLookup, EmptyIsRoot) {
  auto r = resolve_user("", kPasswd, kGroup);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->uid, 0u);
  EXPECT_EQ(r->gid, 0u);
  EXPECT_EQ(r->home, "/root");
}

TEST(UserLookup, NameGivesUidGidHomeAndSupplementaryGroups) {
  auto r = resolve_user("app", kPasswd, kGroup);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 1000u);
  EXPECT_EQ(r->home, "/home/app");
  EXPECT_EQ(r->additional_gids, (std::vector<uint32_t>{29, 44}));
}

TEST(UserLookup, NumericUidInPasswdGetsItsGroups) {
  auto r = resolve_user("33", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gid, 33u);
  EXPECT_EQ(r->additional_gids, (std::vector<uint32_t>{29, 50}));
}

TEST(UserLookup, UnknownNumericUidRunsWithGidZero) {
  auto r = resolve_user("4242", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 4242u);
  EXPECT_EQ(r->gid, 0u);
  EXPECT_TRUE(r->additional_gids.empty());
  EXPECT_EQ(r->home, "/");
}

TEST(UserLookup, UidColonGid) {
  auto r = resolve_user("4242:77", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 4242u);
  EXPECT_EQ(r->gid, 77u);
}

TEST(UserLookup, NameColonGroupName) {
  auto r = resolve_user("app:staff", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 50u);
  EXPECT_EQ(r->additional_gids, (std::vector<uint32_t>{29, 44}));
}

TEST(UserLookup, UnknownNamesAreErrors) {
  auto r = resolve_user("nobody", kPasswd, kGroup);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unable to find user nobody"), std::string::npos);
  auto g = resolve_user("app:nogroup", kPasswd, kGroup);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("unable to find group nogroup"), std::string::npos);
}
