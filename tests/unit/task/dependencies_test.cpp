#include <gtest/gtest.h>

#include "agent/task/dependencies.h"

namespace ecsd::task {
namespace {

Task chain() {
  // db <- app (HEALTHY), init (SUCCESS) <- app, sidecar (START) on app
  Task t;
  auto mk = [](std::string n) {
    ContainerModel c;
    c.name = std::move(n);
    return c;
  };
  t.containers = {mk("sidecar"), mk("app"), mk("init"), mk("db")};
  t.containers[0].depends_on = {{"app", DependencyCondition::start}};
  t.containers[1].depends_on = {{"db", DependencyCondition::healthy}, {"init", DependencyCondition::success}};
  return t;
}

std::vector<std::string> names(const Task& t, const std::vector<size_t>& order) {
  std::vector<std::string> out;
  for (size_t i : order) out.push_back(t.containers[i].name);
  return out;
}

TEST(Dependencies, StartOrderHonoursDependsOn) {
  Task t = chain();
  auto order = start_order(t);
  ASSERT_TRUE(order) << order.error().message;
  EXPECT_EQ(names(t, *order), (std::vector<std::string>{"init", "db", "app", "sidecar"}));
  auto stop = stop_order(t);
  ASSERT_TRUE(stop);
  EXPECT_EQ(names(t, *stop), (std::vector<std::string>{"sidecar", "app", "db", "init"}));
}

TEST(Dependencies, IndependentContainersKeepDefinitionOrder) {
  Task t;
  for (auto n : {"c", "a", "b"}) {
    ContainerModel c;
    c.name = n;
    t.containers.push_back(c);
  }
  EXPECT_EQ(names(t, *start_order(t)), (std::vector<std::string>{"c", "a", "b"}));
}

TEST(Dependencies, CycleAndUnknown) {
  Task t = chain();
  t.containers[3].depends_on = {{"sidecar", DependencyCondition::start}};
  auto cycle = find_dependency_cycle(t);
  EXPECT_EQ(cycle, (std::vector<std::string>{"sidecar", "app", "db", "sidecar"}));
  auto order = start_order(t);
  ASSERT_FALSE(order);
  EXPECT_EQ(order.error().message, "dependency cycle sidecar -> app -> db -> sidecar");

  Task u = chain();
  u.containers[2].depends_on = {{"ghost", DependencyCondition::start}};
  ASSERT_FALSE(start_order(u));
  EXPECT_TRUE(find_dependency_cycle(chain()).empty());
}

TEST(Dependencies, StartCondition) {
  ContainerModel c;
  c.depends_on = {{"d", DependencyCondition::start}};
  std::map<std::string, ContainerView> v;
  EXPECT_EQ(can_start(c, v).readiness, Readiness::waiting);  // unknown = NONE
  v["d"].known = ContainerStatus::created;
  EXPECT_EQ(can_start(c, v).readiness, Readiness::waiting);
  v["d"].known = ContainerStatus::running;
  EXPECT_EQ(can_start(c, v).readiness, Readiness::ready);
  v["d"] = {ContainerStatus::stopped, 3};  // it ran and exited: it did start
  EXPECT_EQ(can_start(c, v).readiness, Readiness::ready);
  v["d"] = {ContainerStatus::stopped, std::nullopt};  // failed before running
  EXPECT_EQ(can_start(c, v).readiness, Readiness::never);
}

TEST(Dependencies, CompleteCondition) {
  ContainerModel c;
  c.depends_on = {{"d", DependencyCondition::complete}};
  std::map<std::string, ContainerView> v{{"d", {ContainerStatus::running}}};
  auto r = can_start(c, v);
  EXPECT_EQ(r.readiness, Readiness::waiting);
  EXPECT_EQ(r.reason, "waiting for d to complete");
  v["d"] = {ContainerStatus::stopped, 1};
  EXPECT_EQ(can_start(c, v).readiness, Readiness::ready);
}

TEST(Dependencies, SuccessCondition) {
  ContainerModel c;
  c.depends_on = {{"d", DependencyCondition::success}};
  std::map<std::string, ContainerView> v{{"d", {ContainerStatus::running}}};
  EXPECT_EQ(can_start(c, v).readiness, Readiness::waiting);
  v["d"] = {ContainerStatus::stopped, 0};
  EXPECT_EQ(can_start(c, v).readiness, Readiness::ready);
  v["d"] = {ContainerStatus::stopped, 2};
  auto r = can_start(c, v);
  EXPECT_EQ(r.readiness, Readiness::never);
  EXPECT_EQ(r.reason, "d exited with code 2, SUCCESS needs 0");
}

TEST(Dependencies, HealthyCondition) {
  ContainerModel c;
  c.depends_on = {{"d", DependencyCondition::healthy}};
  std::map<std::string, ContainerView> v{{"d", {ContainerStatus::running, std::nullopt, HealthStatus::unknown}}};
  EXPECT_EQ(can_start(c, v).readiness, Readiness::waiting);
  v["d"].health = HealthStatus::unhealthy;
  EXPECT_EQ(can_start(c, v).readiness, Readiness::waiting);
  v["d"].health = HealthStatus::healthy;
  EXPECT_EQ(can_start(c, v).readiness, Readiness::ready);
  v["d"] = {ContainerStatus::stopped, 0, HealthStatus::unknown, false};
  auto r = can_start(c, v);
  EXPECT_EQ(r.readiness, Readiness::never);
  EXPECT_EQ(r.reason, "d stopped without becoming HEALTHY");
}

TEST(Dependencies, NeverWinsOverWaiting) {
  ContainerModel c;
  c.depends_on = {{"w", DependencyCondition::complete}, {"f", DependencyCondition::success}};
  std::map<std::string, ContainerView> v{{"w", {ContainerStatus::running}}, {"f", {ContainerStatus::stopped, 1}}};
  EXPECT_EQ(can_start(c, v).readiness, Readiness::never);
  ContainerModel none;
  EXPECT_EQ(can_start(none, {}).readiness, Readiness::ready);
}

TEST(Dependencies, StopWaitsForRunningDependents) {
  Task t = chain();
  std::map<std::string, ContainerView> v{{"sidecar", {ContainerStatus::running}}, {"app", {ContainerStatus::running}},
                                         {"db", {ContainerStatus::running}}, {"init", {ContainerStatus::stopped, 0}}};
  EXPECT_TRUE(can_stop(t, "sidecar", v));
  EXPECT_FALSE(can_stop(t, "app", v));  // sidecar runs
  EXPECT_FALSE(can_stop(t, "db", v));   // app runs
  v["sidecar"].known = ContainerStatus::stopped;
  EXPECT_TRUE(can_stop(t, "app", v));
  v["app"].known = ContainerStatus::stopped;
  EXPECT_TRUE(can_stop(t, "db", v));
}

}  // namespace
}  // namespace ecsd::task
