#include "agent/host/env_file.h"

#include <gtest/gtest.h>

using namespace ecsd::host;

TEST(EnvFile, ParsesLikeSystemd) {
  auto m = parse_env_file(
      "# comment\n"
      "ECS_CLUSTER=prod\n"
      "  ECS_LOGLEVEL = debug \n"
      "export AWS_DEFAULT_REGION=eu-west-1\n"
      "ECS_INSTANCE_ATTRIBUTES=\"{\\\"a\\\": \\\"b\\\"}\"\n"
      "Q='single'\n"
      "novalue\n"
      "=x\n"
      "EMPTY=\n");
  EXPECT_EQ(m["ECS_CLUSTER"], "prod");
  EXPECT_EQ(m["ECS_LOGLEVEL"], "debug");
  EXPECT_EQ(m["AWS_DEFAULT_REGION"], "eu-west-1");
  EXPECT_EQ(m["Q"], "single");
  EXPECT_EQ(m.count("novalue"), 0u);
  EXPECT_EQ(m.count(""), 0u);
  EXPECT_EQ(m["EMPTY"], "");
}

TEST(EnvFile, EnvironmentOverridesFile) {
  char a[] = "ECS_CLUSTER=from-env";
  char b[] = "PATH=/bin";
  char* env[] = {a, b, nullptr};
  auto m = effective_config("/nonexistent/ecs.config", env);
  EXPECT_EQ(m["ECS_CLUSTER"], "from-env");
  EXPECT_EQ(m.count("PATH"), 0u);
}
