#include "agent/engine/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

using namespace ecsd::engine;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/ecsd-store-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};

TaskRecord sample() {
  TaskRecord t;
  t.id = "0123456789abcdef0123456789abcdef";
  t.source_json = "{\"family\":\"x\"}";
  t.created_at_ms = 1000;
  ContainerRecord c;
  c.name = "web";
  c.runtime_id = "0123456789ab-web";
  c.known = ecsd::task::ContainerStatus::running;
  c.shim_pid = 4242;
  c.pid = 4343;
  c.health = ecsd::task::HealthStatus::healthy;
  c.health_output = "ok";
  c.health_exit_code = 0;
  c.bindings.push_back({"0.0.0.0", 80, 8080, "tcp"});
  t.containers.push_back(c);
  ContainerRecord d;
  d.name = "side";
  d.runtime_id = "0123456789ab-side";
  d.essential = false;
  d.known = ecsd::task::ContainerStatus::stopped;
  d.exit_code = 137;
  d.reason = "OutOfMemoryError: Container killed due to memory usage";
  t.containers.push_back(d);
  return t;
}
}  // namespace

TEST(Store, SaveLoadRoundTripAndReopen) {
  TempDir d;
  {
    auto s = Store::open(d.path + "/ecsd.db");
    ASSERT_TRUE(s) << s.error().message;
    auto t = sample();
    std::vector<StateChange> ev(1);
    ev[0].task_id = t.id;
    ev[0].container = "side";
    ev[0].status = "STOPPED";
    ev[0].exit_code = 137;
    ASSERT_TRUE((*s)->save(t, &ev));
    EXPECT_EQ(ev[0].seq, 1u);
    EXPECT_GT(ev[0].at_ms, 0);
  }
  auto s = Store::open(d.path + "/ecsd.db");
  ASSERT_TRUE(s);
  auto all = (*s)->load();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  auto want = sample();
  const auto& got = (*all)[0];
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.source_json, want.source_json);
  ASSERT_EQ(got.containers.size(), 2u);
  EXPECT_EQ(got.containers[0], want.containers[0]);
  EXPECT_EQ(got.containers[1], want.containers[1]);
  auto ev = (*s)->events_after(0);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].exit_code, 137);
  EXPECT_EQ((*s)->last_seq(), 1u);
  EXPECT_TRUE((*s)->events_after(1)->empty());
  ASSERT_TRUE((*s)->remove(want.id));
  EXPECT_TRUE((*s)->load()->empty());
  EXPECT_EQ((*s)->events_after(0)->size(), 1u);  // events outlive the task
  ASSERT_TRUE((*s)->prune_events(0));
  EXPECT_TRUE((*s)->events_after(0)->empty());
}
