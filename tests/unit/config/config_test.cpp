#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "agent/config/config.h"

using namespace ecsd::config;
using namespace std::chrono_literals;

namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/ecsd-config-test-XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempFile() { unlink(path.c_str()); }
};

const Entry* find(const Loaded& l, const std::string& key) {
  for (const auto& e : l.entries)
    if (e.key == key) return &e;
  return nullptr;
}

}  // namespace

TEST(Config, DefaultsMatchTheGoAgent) {
  LoadOptions o;
  o.file_path = "/nonexistent/ecs.config";
  o.env = std::map<std::string, std::string>{};
  auto l = load(o);
  ASSERT_TRUE(l) << l.error().message;
  const Config& c = l->config;
  EXPECT_EQ(c.cluster, "default");
  EXPECT_EQ(c.data_dir, "/var/lib/ecs/data");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.reserved_memory_mib, 0);
  EXPECT_EQ(c.reserved_ports, (std::vector<uint16_t>{22, 2375, 2376, 51678, 51679}));
  EXPECT_TRUE(c.reserved_ports_udp.empty());
  EXPECT_EQ(c.container_stop_timeout, 30s);
  EXPECT_EQ(c.container_start_timeout, 3min);
  EXPECT_EQ(c.task_cleanup_wait, 3h);
  EXPECT_EQ(c.image_pull_behavior, ImagePullBehavior::default_);
  EXPECT_EQ(c.image_cleanup_interval, 30min);
  EXPECT_EQ(c.image_minimum_cleanup_age, 1h);
  EXPECT_EQ(c.num_images_delete_per_cycle, 5);
  EXPECT_FALSE(c.disable_image_cleanup);
  EXPECT_FALSE(c.disable_privileged);
  EXPECT_EQ(c.available_logging_drivers, (std::vector<std::string>{"json-file", "none"}));
  EXPECT_TRUE(c.instance_attributes.empty());
  EXPECT_TRUE(c.instance_tags.empty());
  EXPECT_FALSE(c.enable_task_iam_role);
  EXPECT_EQ(c.backend_host, "");
  EXPECT_EQ(c.region, "");
  for (const auto& e : l->entries) EXPECT_EQ(e.source, "default") << e.key;
}

TEST(Config, EnvironmentOverridesFile) {
  TempFile f(
      "# comment\n"
      "\n"
      "ECS_CLUSTER=from-file\n"
      "ECS_RESERVED_MEMORY=256\n"
      "export ECS_LOGLEVEL=\"debug\"\n"
      "ECS_INSTANCE_ATTRIBUTES={\"team\": \"blue\", \"tier\":\"web\"}\n"
      "ECS_CONTAINER_INSTANCE_TAGS='{\"env\":\"prod\"}'\n");
  LoadOptions o;
  o.file_path = f.path;
  o.env = std::map<std::string, std::string>{{"ECS_CLUSTER", "from-env"}, {"AWS_REGION", "eu-west-1"}};
  auto l = load(o);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->config.cluster, "from-env");
  EXPECT_EQ(find(*l, "ECS_CLUSTER")->source, "env");
  EXPECT_EQ(l->config.reserved_memory_mib, 256);
  EXPECT_EQ(find(*l, "ECS_RESERVED_MEMORY")->source, f.path + ":4");
  EXPECT_EQ(l->config.log_level, "debug");
  EXPECT_EQ(l->config.instance_attributes.at("team"), "blue");
  EXPECT_EQ(l->config.instance_attributes.at("tier"), "web");
  EXPECT_EQ(l->config.instance_tags.at("env"), "prod");
  EXPECT_EQ(l->config.region, "eu-west-1");
  EXPECT_EQ(find(*l, "AWS_DEFAULT_REGION")->source, "env (AWS_REGION)");
}

TEST(Config, AwsDefaultRegionWinsOverAwsRegion) {
  LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{{"AWS_DEFAULT_REGION", "us-west-2"}, {"AWS_REGION", "eu-west-1"}};
  auto l = load(o);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->config.region, "us-west-2");
}

TEST(Config, InvalidValuesAreReportedByName) {
  LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{{"ECS_RESERVED_MEMORY", "lots"},
                                             {"ECS_CONTAINER_STOP_TIMEOUT", "30 seconds"},
                                             {"ECS_RESERVED_PORTS", "22,80"},
                                             {"ECS_DISABLE_PRIVILEGED", "yes"},
                                             {"ECS_IMAGE_PULL_BEHAVIOR", "sometimes"},
                                             {"ECS_INSTANCE_ATTRIBUTES", "{\"a\": 1}"}};
  auto l = load(o);
  ASSERT_FALSE(l);
  const std::string& m = l.error().message;
  for (const char* k : {"ECS_RESERVED_MEMORY=\"lots\"", "ECS_CONTAINER_STOP_TIMEOUT", "ECS_RESERVED_PORTS=\"22,80\"",
                        "ECS_DISABLE_PRIVILEGED", "ECS_IMAGE_PULL_BEHAVIOR", "ECS_INSTANCE_ATTRIBUTES"})
    EXPECT_NE(m.find(k), std::string::npos) << k << " missing in: " << m;
  EXPECT_EQ(m.find("ECS_CLUSTER"), std::string::npos);
}

TEST(Config, PortOutOfRangeIsInvalid) {
  LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{{"ECS_RESERVED_PORTS_UDP", "[53, 70000]"}};
  auto l = load(o);
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().message.find("ECS_RESERVED_PORTS_UDP"), std::string::npos);
}

TEST(Config, BelowMinimumFallsBackToDefaultWithWarning) {
  LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{{"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "10s"},
                                             {"ECS_IMAGE_CLEANUP_INTERVAL", "1m"},
                                             {"ECS_CONTAINER_STOP_TIMEOUT", "2m30s"},
                                             {"ECS_NUM_IMAGES_DELETE_PER_CYCLE", "0"}};
  auto l = load(o);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->config.task_cleanup_wait, 3h);
  EXPECT_EQ(l->config.image_cleanup_interval, 30min);
  EXPECT_EQ(l->config.container_stop_timeout, 150s);
  EXPECT_EQ(l->config.num_images_delete_per_cycle, 5);
  ASSERT_EQ(l->warnings.size(), 3u);
  EXPECT_NE(l->warnings[0].find("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION"), std::string::npos);
}

TEST(Config, MalformedFileLineIsAnErrorWithLineNumber) {
  TempFile f("ECS_CLUSTER=a\nthis is not a setting\n");
  LoadOptions o;
  o.file_path = f.path;
  o.env = std::map<std::string, std::string>{};
  auto l = load(o);
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().message.find(f.path + ":2"), std::string::npos) << l.error().message;
}

TEST(Config, UnknownEcsKeyInFileIsAWarning) {
  TempFile f("ECS_NOT_A_THING=1\nOTHER=2\n");
  LoadOptions o;
  o.file_path = f.path;
  o.env = std::map<std::string, std::string>{};
  auto l = load(o);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->warnings.size(), 1u);
  EXPECT_NE(l->warnings[0].find("ECS_NOT_A_THING"), std::string::npos);
}

TEST(GoDuration, ParsesGoSyntax) {
  EXPECT_EQ(*parse_go_duration("30s"), 30s);
  EXPECT_EQ(*parse_go_duration("1h30m"), 90min);
  EXPECT_EQ(*parse_go_duration("1.5h"), 90min);
  EXPECT_EQ(*parse_go_duration("300ms"), 300ms);
  EXPECT_EQ(*parse_go_duration("0"), 0ms);
  EXPECT_EQ(*parse_go_duration("-2m"), -2min);
  EXPECT_EQ(*parse_go_duration("1m0.5s"), 60500ms);
  for (const char* bad : {"", "30", "s", "1x", "1..2s", "1h 2m", "-"}) EXPECT_FALSE(parse_go_duration(bad)) << bad;
}

TEST(GoDuration, FormatsLikeGo) {
  EXPECT_EQ(format_go_duration(30s), "30s");
  EXPECT_EQ(format_go_duration(3h), "3h0m0s");
  EXPECT_EQ(format_go_duration(90s), "1m30s");
  EXPECT_EQ(format_go_duration(1500ms), "1.5s");
  EXPECT_EQ(format_go_duration(250ms), "250ms");
  EXPECT_EQ(format_go_duration(0ms), "0s");
}
