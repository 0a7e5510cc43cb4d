#include <gtest/gtest.h>

#include "agent/task/validate.h"

namespace ecsd::task {
namespace {

ContainerModel container(std::string name, std::optional<int64_t> memory = 64) {
  ContainerModel c;
  c.name = std::move(name);
  c.image = "busybox";
  c.memory_mib = memory;
  return c;
}

Task task_of(std::vector<ContainerModel> cs) {
  Task t;
  t.family = "f";
  t.containers = std::move(cs);
  return t;
}

std::string error_of(const Task& t) {
  auto s = validate_task(t);
  return s ? std::string() : s.error().message;
}

TEST(Validate, ValidTaskPasses) {
  Task t = task_of({container("a"), container("b")});
  EXPECT_EQ(error_of(t), "");
}

TEST(Validate, MemoryRules) {
  Task t = task_of({container("a"), container("b", 256)});
  t.containers[1].memory_reservation_mib = 512;
  EXPECT_EQ(error_of(t), "containerDefinitions[1].memoryReservation: 512 exceeds memory 256");

  t = task_of({container("a", std::nullopt)});
  EXPECT_EQ(error_of(t),
            "containerDefinitions[0]: memory or memoryReservation is required when the task has no task-level memory");
  t.memory_mib = 512;  // task-level memory makes it optional
  EXPECT_EQ(error_of(t), "");
  t.containers[0].memory_reservation_mib = 16;
  EXPECT_EQ(error_of(t), "");
  t.containers[0].memory_mib = 1024;
  EXPECT_EQ(error_of(t), "containerDefinitions[0].memory: 1024 exceeds the task memory 512");
}

TEST(Validate, CpuTotalAgainstTask) {
  Task t = task_of({container("a"), container("b")});
  t.containers[0].cpu = 512;
  t.containers[1].cpu = 768;
  t.cpu_units = 1024;
  EXPECT_EQ(error_of(t), "containerDefinitions: the containers' cpu total 1280 exceeds the task cpu 1024");
}

TEST(Validate, NamesUniqueAndValid) {
  Task t = task_of({container("a"), container("a"), container("b.c")});
  std::string e = error_of(t);
  EXPECT_NE(e.find("containerDefinitions[1].name: duplicate container name \"a\""), std::string::npos) << e;
  EXPECT_NE(e.find("containerDefinitions[2].name: \"b.c\" is not a valid container name"), std::string::npos) << e;
}

TEST(Validate, EssentialRequired) {
  Task t = task_of({container("a")});
  t.containers[0].essential = false;
  EXPECT_EQ(error_of(t), "containerDefinitions: at least one container must be essential");
}

TEST(Validate, DependsOn) {
  Task t = task_of({container("a"), container("b")});
  t.containers[0].depends_on = {{"ghost", DependencyCondition::start}};
  EXPECT_EQ(error_of(t), "containerDefinitions[0].dependsOn[0].containerName: no container named \"ghost\" in containerDefinitions");

  t.containers[0].depends_on = {{"a", DependencyCondition::start}};
  EXPECT_EQ(error_of(t), "containerDefinitions[0].dependsOn[0].containerName: a container cannot depend on itself");

  t.containers[0].depends_on = {{"b", DependencyCondition::healthy}};
  EXPECT_EQ(error_of(t), "containerDefinitions[0].dependsOn[0].condition: HEALTHY needs a healthCheck on container b");
  t.containers[1].health_check = HealthCheck{{"CMD", "true"}};
  EXPECT_EQ(error_of(t), "");
}

TEST(Validate, CycleIsSpelledOut) {
  Task t = task_of({container("a"), container("b"), container("c")});
  t.containers[0].depends_on = {{"b", DependencyCondition::start}};
  t.containers[1].depends_on = {{"c", DependencyCondition::complete}};
  t.containers[2].depends_on = {{"a", DependencyCondition::success}};
  EXPECT_EQ(error_of(t), "containerDefinitions[0].dependsOn: dependency cycle a -> b -> c -> a");
}

TEST(Validate, VolumesAndVolumesFrom) {
  Task t = task_of({container("a"), container("b")});
  t.containers[0].mount_points = {{"nope", "/data", false}};
  t.containers[1].volumes_from = {{"zzz", false}};
  std::string e = error_of(t);
  EXPECT_NE(e.find("containerDefinitions[0].mountPoints[0].sourceVolume: no volume named \"nope\" in volumes"),
            std::string::npos) << e;
  EXPECT_NE(e.find("containerDefinitions[1].volumesFrom[0].sourceContainer: no container named \"zzz\""),
            std::string::npos) << e;
  t.volumes = {{.name = "nope", .kind = VolumeKind::task_empty}};
  t.containers[1].volumes_from = {{"a", true}};
  EXPECT_EQ(error_of(t), "");
  t.containers[0].mount_points[0].container_path = "relative";
  EXPECT_NE(error_of(t).find("containerPath: must be an absolute path"), std::string::npos);
}

TEST(Validate, Ulimits) {
  Task t = task_of({container("a")});
  t.containers[0].ulimits = {{"nofile", 10, 20}, {"openfiles", 1, 1}, {"nproc", 30, 20}};
  std::string e = error_of(t);
  EXPECT_NE(e.find("ulimits[1].name: unknown ulimit \"openfiles\""), std::string::npos) << e;
  EXPECT_NE(e.find("ulimits[2].softLimit: 30 exceeds hardLimit 20"), std::string::npos) << e;
  EXPECT_EQ(e.find("ulimits[0]"), std::string::npos) << e;
  for (auto n : {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
                 "rtprio", "rttime", "sigpending", "stack"})
    EXPECT_TRUE(valid_ulimit_name(n)) << n;
}

TEST(Validate, HealthCheckLimits) {
  Task t = task_of({container("a")});
  HealthCheck h{{"CMD-SHELL", "true"}};
  t.containers[0].health_check = h;
  EXPECT_EQ(error_of(t), "");
  struct Case {
    int64_t HealthCheck::*field;
    int64_t bad_low, good_low, good_high, bad_high;
    const char* name;
  } cases[] = {{&HealthCheck::interval_s, 4, 5, 300, 301, "interval"},
               {&HealthCheck::timeout_s, 1, 2, 60, 61, "timeout"},
               {&HealthCheck::retries, 0, 1, 10, 11, "retries"},
               {&HealthCheck::start_period_s, -1, 0, 300, 301, "startPeriod"}};
  for (const auto& c : cases) {
    for (int64_t v : {c.good_low, c.good_high}) {
      t.containers[0].health_check = h;
      t.containers[0].health_check.value().*c.field = v;
      EXPECT_EQ(error_of(t), "") << c.name << "=" << v;
    }
    for (int64_t v : {c.bad_low, c.bad_high}) {
      t.containers[0].health_check = h;
      t.containers[0].health_check.value().*c.field = v;
      EXPECT_NE(error_of(t).find(std::string("healthCheck.") + c.name + ": " + std::to_string(v) + " is outside"),
                std::string::npos)
          << c.name << "=" << v;
    }
  }
  t.containers[0].health_check = HealthCheck{{"sh", "-c", "true"}};
  EXPECT_NE(error_of(t).find("healthCheck.command: must start with \"CMD\" or \"CMD-SHELL\""), std::string::npos);
  t.containers[0].health_check = HealthCheck{{"CMD"}};
  EXPECT_NE(error_of(t).find("nothing to run"), std::string::npos);
}

TEST(Validate, ContainersFieldNameForAcs) {
  Task t = task_of({container("a", 10)});
  t.containers[0].memory_reservation_mib = 20;
  auto s = validate_task(t, "containers");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "containers[0].memoryReservation: 20 exceeds memory 10");
}

TEST(Validate, NetworkModesAllAccepted) {
  for (auto m : {NetworkMode::bridge, NetworkMode::host, NetworkMode::none, NetworkMode::awsvpc}) {
    Task t = task_of({container("a")});
    t.network_mode = m;
    EXPECT_EQ(error_of(t), "");
  }
}

}  // namespace
}  // namespace ecsd::task
