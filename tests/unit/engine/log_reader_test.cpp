#include "agent/engine/log_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <vector>

using namespace ecsd::engine;

TEST(LogReader, ParsesRecords) {
  auto l = parse_log_record(R"({"log":"hi\n","stream":"stderr","time":"2024-01-01T00:00:00Z"})");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->log, "hi\n");
  EXPECT_EQ(l->stream, "stderr");
  EXPECT_FALSE(parse_log_record("not json"));
  EXPECT_FALSE(parse_log_record(R"({"stream":"stdout"})"));
}

TEST(LogReader, FollowsGrowthPartialLinesAndTruncation) {
  char tmpl[] = "/tmp/ecsd-logreader-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/c.log";
  std::vector<std::string> got;
  auto emit = [&](const LogLine& l) { got.push_back(l.log); };
  LogFollower f(path);
  EXPECT_EQ(f.poll(emit), 0u);  // missing file
  {
    std::ofstream o(path, std::ios::app);
    o << R"({"log":"a\n","stream":"stdout","time":"t"})" << "\n" << R"({"log":"b)";
  }
  EXPECT_EQ(f.poll(emit), 1u);
  {
    std::ofstream o(path, std::ios::app);
    o << R"(\n","stream":"stdout","time":"t"})" << "\n";
  }
  EXPECT_EQ(f.poll(emit), 1u);
  { std::ofstream o(path, std::ios::trunc); o << R"({"log":"c\n","stream":"stdout","time":"t"})" << "\n"; }
  EXPECT_EQ(f.poll(emit), 1u);
  EXPECT_EQ(got, (std::vector<std::string>{"a\n", "b\n", "c\n"}));
  {
    std::ofstream o(path + ".1");
    o << R"({"log":"old\n","stream":"stdout","time":"t"})" << "\n";
  }
  got.clear();
  uint64_t end = 0;
  read_all_logs(path, emit, &end);
  EXPECT_EQ(got, (std::vector<std::string>{"old\n", "c\n"}));
  EXPECT_GT(end, 0u);
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}
