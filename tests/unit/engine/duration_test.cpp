#include <gtest/gtest.h>

#include "agent/engine/engine.h"

using namespace ecsd::engine;

TEST(Duration, GoStyleDurations) {
  EXPECT_EQ(*parse_duration_ms("30s"), 30000);
  EXPECT_EQ(*parse_duration_ms("3h"), 3 * 3600 * 1000);
  EXPECT_EQ(*parse_duration_ms("1m30s"), 90000);
  EXPECT_EQ(*parse_duration_ms("500ms"), 500);
  EXPECT_EQ(*parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(*parse_duration_ms("45"), 45000);
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("10x"));
  EXPECT_FALSE(parse_duration_ms("s"));
}
