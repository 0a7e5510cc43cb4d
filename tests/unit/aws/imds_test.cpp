// The IMDS client and the instance-profile provider against the python IMDS
// stand-in (tests/fixtures/controlplane/imds.py) on loopback.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "agent/aws/credentials.h"
#include "agent/aws/imds.h"
#include "tests/unit/aws/child_process.h"

using namespace ecsd::aws;
using ecsd::testing::ChildProcess;

namespace {

struct ImdsServer {
  std::unique_ptr<ChildProcess> proc;
  std::string endpoint;
  explicit ImdsServer(int creds_ttl = 3600) {
    proc = std::make_unique<ChildProcess>(std::vector<std::string>{
        "python3", std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/controlplane/imds.py", "--instance-id",
        "i-0abc123def4567890", "--region", "eu-west-1", "--role", "ecs-instance", "--creds-ttl",
        std::to_string(creds_ttl)});
    std::string port = proc->wait_for("PORT");
    if (!port.empty()) endpoint = "http://127.0.0.1:" + port;
  }
  nlohmann::json stats() {
    HttpRequest r;
    r.url = endpoint + "/control/stats";
    auto resp = http_send(r);
    return nlohmann::json::parse(resp->body);
  }
  void revoke() {
    HttpRequest r;
    r.method = "POST";
    r.url = endpoint + "/control/revoke-tokens";
    (void)http_send(r);
  }
};

}  // namespace

TEST(Imds, IdentityDocumentAndMetadata) {
  ImdsServer s;
  ASSERT_FALSE(s.endpoint.empty());
  ImdsClient c(s.endpoint);
  auto id = c.identity();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->instance_id, "i-0abc123def4567890");
  EXPECT_EQ(id->region, "eu-west-1");
  EXPECT_EQ(id->availability_zone, "eu-west-1a");
  EXPECT_EQ(id->account_id, "123456789012");
  EXPECT_NE(id->document.find("\"instanceId\": \"i-0abc123def4567890\""), std::string::npos);
  EXPECT_FALSE(id->signature.empty());
  EXPECT_EQ(*c.instance_id(), "i-0abc123def4567890");
  EXPECT_EQ(*c.region(), "eu-west-1");
  EXPECT_EQ(*c.availability_zone(), "eu-west-1a");
  EXPECT_EQ(c.tokens_fetched(), 1);  // one token for all those requests
}

TEST(Imds, HonoursEndpointEnvironmentVariable) {
  ImdsServer s;
  ASSERT_FALSE(s.endpoint.empty());
  const char* old = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  std::string saved = old ? old : "";
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", (s.endpoint + "/").c_str(), 1);
  ImdsClient c;
  EXPECT_EQ(c.endpoint(), s.endpoint);
  auto id = c.instance_id();
  if (old) setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", saved.c_str(), 1);
  else unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "i-0abc123def4567890");
}

TEST(Imds, TokenRefreshedOn401AndBeforeExpiry) {
  ImdsServer s;
  ASSERT_FALSE(s.endpoint.empty());
  {
    ImdsClient c(s.endpoint);
    ASSERT_TRUE(c.instance_id());
    s.revoke();  // server forgets the token: the client must fetch a new one
    auto id = c.instance_id();
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(c.tokens_fetched(), 2);
    EXPECT_EQ(s.stats()["unauthorized"].get<int>(), 1);
  }
  {
    // A 2 s token is renewed ahead of expiry (at half its life for short TTLs):
    // after 1.5 s the next request fetches a new token without a 401 first.
    ImdsClient c(s.endpoint, std::chrono::seconds(2));
    ASSERT_TRUE(c.instance_id());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_TRUE(c.instance_id());
    EXPECT_EQ(c.tokens_fetched(), 2);
    EXPECT_EQ(s.stats()["unauthorized"].get<int>(), 1);  // unchanged
  }
}

TEST(Imds, InstanceProfileCredentialsRefreshBeforeExpiry) {
  ImdsServer s(/*creds_ttl=*/3600);
  ASSERT_FALSE(s.endpoint.empty());
  auto imds = std::make_shared<ImdsClient>(s.endpoint);
  std::vector<std::unique_ptr<CredentialsProvider>> v;
  v.push_back(std::make_unique<InstanceProfileProvider>(imds));
  CredentialsChain chain(std::move(v), std::chrono::seconds(300));
  auto a = chain.get();
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->access_key_id, "ASIAIMDS00000001");
  EXPECT_EQ(a->source, "instance-profile:ecs-instance");
  ASSERT_TRUE(a->expiration);
  EXPECT_GT(*a->expiration, std::chrono::system_clock::now() + std::chrono::minutes(55));
  auto b = chain.get();
  EXPECT_EQ(b->access_key_id, "ASIAIMDS00000001");  // cached: an hour left

  ImdsServer shortlived(/*creds_ttl=*/120);  // inside the 5-minute window
  auto imds2 = std::make_shared<ImdsClient>(shortlived.endpoint);
  std::vector<std::unique_ptr<CredentialsProvider>> v2;
  v2.push_back(std::make_unique<InstanceProfileProvider>(imds2));
  CredentialsChain chain2(std::move(v2), std::chrono::seconds(300));
  EXPECT_EQ(chain2.get()->access_key_id, "ASIAIMDS00000001");
  EXPECT_EQ(chain2.get()->access_key_id, "ASIAIMDS00000002");
}

TEST(Imds, UnreachableIsAnErrorNotAHang) {
  ImdsClient c("http://127.0.0.1:1");
  auto id = c.instance_id();
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("IMDSv2 token"), std::string::npos);
}
