#include <gtest/gtest.h>

#include "agent/ecs/ecr_credentials.h"
#include "tests/unit/ecs/control_plane.h"

using namespace ecsd;
using namespace ecsd::ecs;
using ecsd::testing::ControlPlane;

TEST(Ecr, HostNames) {
  auto h = parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->account, "123456789012");
  EXPECT_EQ(h->region, "eu-west-1");
  EXPECT_TRUE(parse_ecr_host("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"));
  EXPECT_TRUE(parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"));
  EXPECT_FALSE(parse_ecr_host("docker.io"));
  EXPECT_FALSE(parse_ecr_host("12345.dkr.ecr.us-east-1.amazonaws.com"));
  EXPECT_FALSE(parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"));
}

TEST(Ecr, TokenFromGetAuthorizationTokenIsCached) {
  ControlPlane cp;
  ASSERT_TRUE(cp.ready);
  EcrCredentialProvider::Options o;
  o.region = "us-east-1";
  o.credentials = cp.imds_credentials();
  o.endpoint = cp.url;
  o.extra_hosts = {"127.0.0.1:5999"};
  EcrCredentialProvider p(o);

  auto none = p.get("registry-1.docker.io");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(p.token_requests(), 0);

  auto c = p.get("123456789012.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(*c);
  EXPECT_EQ((*c)->username, "AWS");
  EXPECT_EQ((*c)->password, "123456789012-auth-token");  // what moto issues for the account
  auto again = p.get("123456789012.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(again && *again);
  EXPECT_EQ(p.token_requests(), 1);
  EXPECT_EQ(cp.state()["ecr_token_requests"], 1);

  auto extra = p.get("127.0.0.1:5999");
  ASSERT_TRUE(extra) << extra.error().message;
  ASSERT_TRUE(*extra);
  EXPECT_EQ((*extra)->username, "AWS");
  EXPECT_TRUE(cp.state()["sig_failures"].empty());
}
