#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/aws/credentials.h"
#include "agent/aws/endpoints.h"

using namespace ecsd::aws;

namespace {

// Saves and restores the AWS_* variables a test changes.
class EnvGuard {
 public:
  explicit EnvGuard(std::vector<std::string> names) : names_(std::move(names)) {
    for (const auto& n : names_) {
      const char* v = getenv(n.c_str());
      saved_.emplace_back(v != nullptr, v ? v : "");
      unsetenv(n.c_str());
    }
  }
  ~EnvGuard() {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (saved_[i].first) setenv(names_[i].c_str(), saved_[i].second.c_str(), 1);
      else unsetenv(names_[i].c_str());
    }
  }

 private:
  std::vector<std::string> names_;
  std::vector<std::pair<bool, std::string>> saved_;
};

const std::vector<std::string> kAwsVars = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"};

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/ecsd-aws-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path + "/" + name) << text;
    return path + "/" + name;
  }
};

class CountingProvider : public CredentialsProvider {
 public:
  explicit CountingProvider(std::chrono::seconds lifetime) : lifetime_(lifetime) {}
  ecsd::Result<Credentials> retrieve() override {
    ++calls;
    Credentials c{"AKID" + std::to_string(calls), "secret", "tok", std::chrono::system_clock::now() + lifetime_, "test"};
    return c;
  }
  std::string name() const override { return "counting"; }
  int calls = 0;

 private:
  std::chrono::seconds lifetime_;
};

}  // namespace

TEST(Credentials, EnvironmentFirst) {
  EnvGuard g(kAwsVars);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  auto chain = CredentialsChain::default_chain(std::make_shared<ImdsClient>("http://127.0.0.1:1"));
  auto c = chain->get();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, "envsecret");
  EXPECT_EQ(c->session_token, "envtoken");
  EXPECT_EQ(c->source, "env");
}

TEST(Credentials, SharedFilesWithProfiles) {
  EnvGuard g(kAwsVars);
  TempDir d;
  setenv("AWS_SHARED_CREDENTIALS_FILE",
         d.write("credentials",
                 "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n"
                 "[ops]\naws_access_key_id=AKIDOPS\naws_secret_access_key=s2\naws_session_token = t2\n")
             .c_str(),
         1);
  setenv("AWS_CONFIG_FILE",
         d.write("config",
                 "[default]\nregion = us-west-2\n[profile cfgonly]\nregion=eu-central-1\n"
                 "aws_access_key_id=AKIDCFG\naws_secret_access_key=s3\n")
             .c_str(),
         1);
  {
    SharedFilesProvider p;
    auto c = p.retrieve();
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
    EXPECT_EQ(p.region(), "us-west-2");
  }
  setenv("AWS_PROFILE", "ops", 1);
  {
    SharedFilesProvider p;
    auto c = p.retrieve();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDOPS");
    EXPECT_EQ(c->session_token, "t2");
  }
  setenv("AWS_PROFILE", "cfgonly", 1);
  {
    SharedFilesProvider p;
    auto c = p.retrieve();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDCFG");
    EXPECT_EQ(p.region(), "eu-central-1");
  }
  setenv("AWS_PROFILE", "missing", 1);
  {
    SharedFilesProvider p;
    auto c = p.retrieve();
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("\"missing\""), std::string::npos);
  }
}

TEST(Credentials, ChainCachesAndRefreshesBeforeExpiry) {
  // Lifetime 10 min, window 5 min: cached.
  {
    auto p = std::make_unique<CountingProvider>(std::chrono::seconds(600));
    auto* raw = p.get();
    std::vector<std::unique_ptr<CredentialsProvider>> v;
    v.push_back(std::move(p));
    CredentialsChain chain(std::move(v), std::chrono::seconds(300));
    ASSERT_TRUE(chain.get());
    ASSERT_TRUE(chain.get());
    EXPECT_EQ(raw->calls, 1);
    chain.invalidate();
    auto c = chain.get();
    ASSERT_TRUE(c);
    EXPECT_EQ(raw->calls, 2);
    EXPECT_EQ(c->access_key_id, "AKID2");
  }
  // Lifetime 2 min, inside the 5 min window: every get refreshes.
  {
    auto p = std::make_unique<CountingProvider>(std::chrono::seconds(120));
    auto* raw = p.get();
    std::vector<std::unique_ptr<CredentialsProvider>> v;
    v.push_back(std::move(p));
    CredentialsChain chain(std::move(v), std::chrono::seconds(300));
    ASSERT_TRUE(chain.get());
    ASSERT_TRUE(chain.get());
    EXPECT_EQ(raw->calls, 2);
  }
}

TEST(Credentials, NoProviderGivesAllReasons) {
  EnvGuard g(kAwsVars);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  auto chain = CredentialsChain::default_chain(std::make_shared<ImdsClient>("http://127.0.0.1:1"));
  auto c = chain->get();
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_NE(c.error().message.find("shared credentials"), std::string::npos);
  EXPECT_NE(c.error().message.find("IMDSv2 token"), std::string::npos) << c.error().message;
}

TEST(Iso8601, Parses) {
  auto t = parse_iso8601("2026-12-01T20:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1796155200);
  EXPECT_TRUE(parse_iso8601("2026-12-01T20:00:00.123Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

TEST(Endpoints, OverridesInOrder) {
  EnvGuard g(kAwsVars);
  EXPECT_EQ(service_endpoint("ecs", "us-east-1"), "https://ecs.us-east-1.amazonaws.com");
  EXPECT_EQ(service_endpoint("ecr", "cn-north-1"), "https://api.ecr.cn-north-1.amazonaws.com.cn");
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
  EXPECT_EQ(service_endpoint("ecs", "us-east-1"), "http://127.0.0.1:5000");
  setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:6000", 1);
  EXPECT_EQ(service_endpoint("ecs", "us-east-1"), "http://127.0.0.1:6000");
  EXPECT_EQ(service_endpoint("sts", "us-east-1"), "http://127.0.0.1:5000");
  EXPECT_EQ(service_endpoint("ecs", "us-east-1", "ecs.internal.example"), "https://ecs.internal.example");
  EXPECT_EQ(service_endpoint("ecs", "us-east-1", "http://10.0.0.1:80"), "http://10.0.0.1:80");
  EXPECT_EQ(endpoint_env_name("secretsmanager"), "AWS_ENDPOINT_URL_SECRETS_MANAGER");
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
  EXPECT_EQ(service_endpoint("ecs", "us-east-1"), "https://ecs.us-east-1.amazonaws.com");
}
