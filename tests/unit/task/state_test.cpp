#include <gtest/gtest.h>

#include "agent/task/state.h"

namespace ecsd::task {
namespace {

constexpr ContainerStatus kAll[] = {ContainerStatus::none, ContainerStatus::pulled, ContainerStatus::created,
                                    ContainerStatus::running, ContainerStatus::stopped};

TEST(State, TransitionsOnlyForward) {
  for (auto from : kAll)
    for (auto to : kAll)
      EXPECT_EQ(transition_allowed(from, to), static_cast<int>(to) > static_cast<int>(from))
          << to_string(from) << " -> " << to_string(to);
  EXPECT_TRUE(transition_allowed(ContainerStatus::none, ContainerStatus::stopped));  // pull failed
  EXPECT_FALSE(transition_allowed(ContainerStatus::stopped, ContainerStatus::running));
  EXPECT_FALSE(transition_allowed(ContainerStatus::running, ContainerStatus::running));
}

TEST(State, MoveToReportsBadTransitions) {
  ContainerState c{.name = "web"};
  EXPECT_TRUE(c.move_to(ContainerStatus::pulled));
  EXPECT_TRUE(c.move_to(ContainerStatus::created));
  EXPECT_TRUE(c.move_to(ContainerStatus::running));
  auto s = c.move_to(ContainerStatus::created);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "container web: status RUNNING -> CREATED is not allowed");
  EXPECT_EQ(c.known, ContainerStatus::running);
  EXPECT_TRUE(c.move_to(ContainerStatus::stopped));
}

TEST(State, DesiredTransitions) {
  EXPECT_TRUE(desired_transition_allowed(ContainerStatus::running, ContainerStatus::stopped));
  EXPECT_FALSE(desired_transition_allowed(ContainerStatus::stopped, ContainerStatus::running));
  EXPECT_FALSE(desired_transition_allowed(ContainerStatus::running, ContainerStatus::created));
}

TEST(State, Names) {
  for (auto s : kAll) EXPECT_EQ(container_status_from_string(to_string(s)), s);
  EXPECT_FALSE(container_status_from_string("ZOMBIE"));
  EXPECT_EQ(to_string(TaskStatus::pending), "PENDING");
  EXPECT_EQ(to_string(HealthStatus::unhealthy), "UNHEALTHY");
}

std::vector<ContainerState> states(std::initializer_list<std::pair<bool, ContainerStatus>> l) {
  std::vector<ContainerState> out;
  int i = 0;
  for (auto& [essential, known] : l) {
    ContainerState c;
    c.name = "c" + std::to_string(i++);
    c.essential = essential;
    c.known = known;
    out.push_back(c);
  }
  return out;
}

TEST(State, TaskStatusFromContainers) {
  using S = ContainerStatus;
  EXPECT_EQ(derive_task_status(states({{true, S::none}, {true, S::none}})), TaskStatus::pending);
  EXPECT_EQ(derive_task_status(states({{true, S::running}, {true, S::created}})), TaskStatus::pending);
  EXPECT_EQ(derive_task_status(states({{true, S::running}, {true, S::running}})), TaskStatus::running);
  // A finished non-essential container (init, COMPLETE dependency) does not hold the task back.
  EXPECT_EQ(derive_task_status(states({{true, S::running}, {false, S::stopped}})), TaskStatus::running);
  EXPECT_EQ(derive_task_status(states({{true, S::pulled}, {false, S::stopped}})), TaskStatus::pending);
  EXPECT_EQ(derive_task_status(states({{true, S::stopped}, {false, S::stopped}})), TaskStatus::stopped);
  EXPECT_EQ(derive_task_status({}), TaskStatus::pending);
}

TEST(State, EssentialExitStopsTheTask) {
  using S = ContainerStatus;
  auto cs = states({{true, S::running}, {false, S::stopped}});
  EXPECT_FALSE(essential_stop_reason(cs));
  EXPECT_FALSE(task_should_stop(cs, TaskStatus::running));
  EXPECT_TRUE(task_should_stop(cs, TaskStatus::stopped));
  cs = states({{true, S::stopped}, {false, S::running}});
  EXPECT_EQ(essential_stop_reason(cs), "Essential container in task exited");
  EXPECT_TRUE(task_should_stop(cs, TaskStatus::running));
}

TEST(State, ReasonsWordedAsEcs) {
  EXPECT_EQ(kOutOfMemory, "OutOfMemoryError: Container killed due to memory usage");
  EXPECT_EQ(cannot_pull_reason("pull access denied"), "CannotPullContainerError: pull access denied");
  EXPECT_EQ(cannot_start_reason("exec: \"x\": not found"), "CannotStartContainerError: exec: \"x\": not found");
  EXPECT_EQ(cannot_create_reason("e"), "CannotCreateContainerError: e");
  EXPECT_EQ(cannot_stop_reason("e"), "CannotStopContainerError: e");
}

}  // namespace
}  // namespace ecsd::task
