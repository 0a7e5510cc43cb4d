#include <gtest/gtest.h>

#include "agent/acs/reporter.h"

using namespace ecsd::acs;

namespace {
Event ev(uint64_t seq, std::string task, std::string container, std::string status, std::optional<int> code = {}) {
  Event e;
  e.seq = seq;
  e.task_arn = std::move(task);
  e.container = std::move(container);
  e.status = std::move(status);
  e.exit_code = code;
  e.at = 1000.0 + seq;
  return e;
}
}  // namespace

TEST(ChangeBatcher, ContainerChangesTravelWithTheTaskChange) {
  ChangeBatcher b("bars");
  EXPECT_TRUE(b.add(ev(1, "t1", "web", "PULLED")).empty());
  EXPECT_TRUE(b.add(ev(2, "t1", "web", "RUNNING")).empty());
  EXPECT_TRUE(b.add(ev(3, "t1", "side", "RUNNING")).empty());
  EXPECT_EQ(b.safe_cursor(3), 1u);  // 2 and 3 are held
  auto out = b.add(ev(4, "t1", "", "RUNNING"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.status, "RUNNING");
  ASSERT_EQ(out[0].second.containers.size(), 2u);
  EXPECT_EQ(out[0].second.containers[0].name, "web");
  EXPECT_EQ(b.safe_cursor(4), 4u);
  // Task already RUNNING: a container exit goes at once, with status RUNNING.
  out = b.add(ev(5, "t1", "side", "STOPPED", 0));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.status, "RUNNING");
  EXPECT_EQ(out[0].second.containers[0].exit_code, 0);
  // Task STOPPED with its reason and executionStoppedAt.
  auto stop = ev(6, "t1", "", "STOPPED");
  stop.reason = "Essential container in task exited";
  out = b.add(stop);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.reason, "Essential container in task exited");
  EXPECT_EQ(out[0].second.execution_stopped_at, 1006.0);
}

TEST(ChangeBatcher, FailedBeforeRunningIsReportedWithTheStop) {
  ChangeBatcher b("bars");
  EXPECT_TRUE(b.add(ev(1, "t2", "web", "STOPPED", std::nullopt)).empty());
  auto out = b.add(ev(2, "t2", "", "STOPPED"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.status, "STOPPED");
  ASSERT_EQ(out[0].second.containers.size(), 1u);
  EXPECT_EQ(out[0].second.containers[0].status, "STOPPED");
  EXPECT_TRUE(b.add(ev(3, "t2", "web", "STOPPED")).empty());  // nothing after the task's STOPPED
}

TEST(ChangeBatcher, LatestContainerStatusWins) {
  ChangeBatcher b("bars");
  b.add(ev(1, "t3", "web", "RUNNING"));
  b.add(ev(2, "t3", "web", "STOPPED", 1));
  auto out = b.add(ev(3, "t3", "", "STOPPED"));
  ASSERT_EQ(out[0].second.containers.size(), 1u);
  EXPECT_EQ(out[0].second.containers[0].status, "STOPPED");
  EXPECT_EQ(out[0].second.containers[0].exit_code, 1);
}
