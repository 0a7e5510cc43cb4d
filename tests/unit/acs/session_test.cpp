// The ACS session (cpprestsdk websocket client) and the reporter against the
// test control plane: SigV4-checked upgrade, payloads from `aws ecs run-task`,
// acks, heartbeats, drops and CloseMessage with reconnects, state changes in
// order through injected 5xx.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "agent/acs/reporter.h"
#include "agent/acs/session.h"
#include "agent/aws/imds.h"
#include "agent/ecs/registration.h"
#include "tests/unit/ecs/control_plane.h"

using namespace ecsd;
using namespace ecsd::acs;
using ecsd::testing::ControlPlane;

namespace {

struct Recorder : SessionHandler {
  std::mutex mu;
  std::vector<nlohmann::json> tasks;
  void on_tasks(const std::vector<nlohmann::json>& t) override {
    std::lock_guard l(mu);
    tasks.insert(tasks.end(), t.begin(), t.end());
  }
  std::vector<std::string> running;
  std::vector<std::string> stopped;
  std::vector<std::string> running_task_arns() override {
    std::lock_guard l(mu);
    return running;
  }
  void stop_tasks(const std::vector<std::string>& arns) override {
    std::lock_guard l(mu);
    stopped.insert(stopped.end(), arns.begin(), arns.end());
  }
  size_t count() {
    std::lock_guard l(mu);
    return tasks.size();
  }
};

template <typename F>
bool eventually(F f, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return f();
}

struct Cluster {
  ControlPlane cp;
  std::unique_ptr<ecs::Client> client;
  std::string arn;
  explicit Cluster(std::vector<std::string> args = {"--heartbeat", "1"}) : cp(args) {
    ecs::ClientOptions o;
    o.endpoint = cp.url;
    o.region = "us-east-1";
    o.credentials = cp.imds_credentials();
    o.retry.base = std::chrono::milliseconds(10);
    client = std::make_unique<ecs::Client>(o);
    cp.aws_cli("ecs create-cluster --cluster-name bars");
    aws::ImdsClient imds(cp.url);
    auto id = imds.identity();
    ecs::RegistrationInput in;
    in.cluster = "bars";
    in.identity_document = id->document;
    in.identity_signature = id->signature;
    in.resources = ecs::Resources{2048, 4000, {22}, {}};
    auto reg = ecs::register_container_instance(*client, in);
    if (reg) arn = reg->container_instance_arn;
    cp.aws_cli(
        "ecs register-task-definition --family web --container-definitions "
        "'[{\"name\":\"web\",\"image\":\"busybox\",\"memory\":32,\"memoryReservation\":16,\"command\":[\"sleep\",\"1\"],"
        "\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":5}}]'");
  }
  SessionOptions session_options() {
    SessionOptions s;
    s.cluster = "bars";
    s.container_instance_arn = arn;
    s.region = "us-east-1";
    s.credentials = client->options().credentials;
    s.discover = [this] { return client->discover_poll_endpoint("bars", arn); };
    s.invalidate_endpoint = [this] { client->invalidate_poll_endpoint(); };
    s.backoff_min = std::chrono::milliseconds(50);
    s.backoff_max = std::chrono::milliseconds(500);
    s.heartbeat_timeout = std::chrono::milliseconds(5000);
    s.heartbeat_jitter = std::chrono::milliseconds(100);
    s.agent_version = "0.1.0";
    return s;
  }
};

}  // namespace

TEST(AcsSession, ReceivesRunTaskAcksAndReconnects) {
  Cluster c;
  ASSERT_TRUE(c.cp.ready);
  ASSERT_FALSE(c.arn.empty());
  Recorder rec;
  Session s(c.session_options(), rec);
  std::thread t([&] { s.run(); });

  ASSERT_TRUE(eventually([&] { return s.status().connected; }));
  auto run = c.cp.aws_cli("ecs run-task --cluster bars --task-definition web");
  ASSERT_FALSE(run.is_null());
  std::string task_arn = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(eventually([&] { return rec.count() == 1; }));
  {
    std::lock_guard l(rec.mu);
    const auto& task = rec.tasks[0];
    EXPECT_EQ(task["arn"], task_arn);
    EXPECT_EQ(task["desiredStatus"], "RUNNING");
    // dockerConfig strings as ECS builds them: MemoryReservation in bytes, Healthcheck in ns.
    auto host = nlohmann::json::parse(task["containers"][0]["dockerConfig"]["hostConfig"].get<std::string>());
    EXPECT_EQ(host["MemoryReservation"], 16 * 1024 * 1024);
    auto cfg = nlohmann::json::parse(task["containers"][0]["dockerConfig"]["config"].get<std::string>());
    EXPECT_EQ(cfg["Healthcheck"]["Interval"], 5000000000LL);
  }
  ASSERT_TRUE(eventually([&] { return c.cp.state()["acs"]["acks"].size() == 1; }));
  ASSERT_TRUE(eventually([&] { return c.cp.state()["acs"]["heartbeat_acks"].get<int>() >= 1; }));

  // The upgrade was SigV4-signed (checked by the control plane) and carried the query parameters.
  auto st = c.cp.state();
  EXPECT_TRUE(st["sig_failures"].empty()) << st["sig_failures"];
  auto up = st["acs"]["upgrades"][0];
  EXPECT_EQ(up["clusterArn"], "bars");
  EXPECT_EQ(up["containerInstanceArn"], c.arn);
  EXPECT_EQ(up["protocolVersion"], "2");
  EXPECT_EQ(up["seqNum"], "1");

  // Drop the TCP connection: the session reconnects, sending the seqNum it has seen.
  c.cp.post("/_cp/acs/drop");
  ASSERT_TRUE(eventually([&] { return c.cp.state()["acs"]["connections"].get<int>() == 2; }));
  EXPECT_EQ(c.cp.state()["acs"]["upgrades"][1]["seqNum"], "1");
  // stop-task arrives on the new connection.
  c.cp.aws_cli("ecs stop-task --cluster bars --task " + task_arn);
  ASSERT_TRUE(eventually([&] { return rec.count() == 2; }));
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.tasks[1]["desiredStatus"], "STOPPED");
  }
  EXPECT_EQ(c.cp.state()["acs"]["upgrades"][1]["seqNum"], "1");

  // A CloseMessage: the session closes and reconnects.
  c.cp.post("/_cp/acs/close");
  ASSERT_TRUE(eventually([&] { return c.cp.state()["acs"]["connections"].get<int>() == 3; }));
  EXPECT_EQ(c.cp.state()["acs"]["upgrades"][2]["seqNum"], "2");
  s.stop();
  t.join();
  EXPECT_FALSE(s.status().connected);
}

TEST(AcsSession, TaskManifestLeadsToVerifiedStops) {
  Cluster c;
  ASSERT_TRUE(c.cp.ready);
  auto run = c.cp.aws_cli("ecs run-task --cluster bars --task-definition web");
  ASSERT_FALSE(run.is_null());
  std::string wanted = run["tasks"][0]["taskArn"];
  std::string ghost = "arn:aws:ecs:us-east-1:123456789012:task/bars/0000000000000000000000000000dead";
  Recorder rec;
  rec.running = {wanted, ghost};  // the agent runs a task ECS no longer knows
  Session s(c.session_options(), rec);
  std::thread t([&] { s.run(); });
  ASSERT_TRUE(eventually([&] { return rec.count() == 1; }));
  c.cp.post("/_cp/acs/manifest");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard l(rec.mu);
    return !rec.stopped.empty();
  }));
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.stopped, std::vector<std::string>{ghost});
  }
  auto st = c.cp.state();
  ASSERT_EQ(st["acs"]["stop_verifications"].size(), 1u);
  ASSERT_EQ(st["acs"]["stop_verifications"][0].size(), 1u);
  EXPECT_EQ(st["acs"]["stop_verifications"][0][0]["taskArn"], ghost);
  EXPECT_EQ(st["acs"]["acks"].size(), 2u);  // the payload and the manifest
  s.stop();
  t.join();
}

TEST(AcsSession, UnacknowledgedPayloadsAreResentAfterADrop) {
  Cluster c;
  ASSERT_TRUE(c.cp.ready);
  // Run a task before the agent connects: the payload waits and is delivered on connect.
  auto run = c.cp.aws_cli("ecs run-task --cluster bars --task-definition web");
  ASSERT_FALSE(run.is_null());
  Recorder rec;
  Session s(c.session_options(), rec);
  std::thread t([&] { s.run(); });
  ASSERT_TRUE(eventually([&] { return rec.count() == 1; }));
  ASSERT_TRUE(eventually([&] { return c.cp.state()["acs"]["acks"].size() == 1; }));
  s.stop();
  t.join();
}

TEST(AcsSession, HeartbeatTimeoutReconnects) {
  Cluster c({"--heartbeat", "1000"});  // the control plane stays silent
  ASSERT_TRUE(c.cp.ready);
  Recorder rec;
  auto o = c.session_options();
  o.heartbeat_timeout = std::chrono::milliseconds(1000);
  o.heartbeat_jitter = std::chrono::milliseconds(0);
  Session s(o, rec);
  std::thread t([&] { s.run(); });
  ASSERT_TRUE(eventually([&] { return c.cp.state()["acs"]["connections"].get<int>() >= 2; }));
  s.stop();
  t.join();
}

TEST(AcsSession, BadCredentialsAreRefusedAndRetried) {
  Cluster c;
  ASSERT_TRUE(c.cp.ready);
  Recorder rec;
  auto o = c.session_options();
  std::vector<std::unique_ptr<aws::CredentialsProvider>> v;
  v.push_back(std::make_unique<aws::StaticProvider>(aws::Credentials{c.cp.cli_key, "wrong-secret", "", std::nullopt, "x"}));
  o.credentials = std::make_shared<aws::CredentialsChain>(std::move(v));
  Session s(o, rec);
  std::thread t([&] { s.run(); });
  ASSERT_TRUE(eventually([&] { return s.status().failures >= 2; }));
  EXPECT_FALSE(s.status().connected);
  EXPECT_EQ(c.cp.state()["acs"]["connections"], 0);
  EXPECT_FALSE(c.cp.state()["sig_failures"].empty());
  s.stop();
  t.join();
}

namespace {

// Events the way an engine would produce them for N tasks.
struct ScriptedSource : EventSource {
  std::mutex mu;
  std::vector<Event> events;
  std::vector<Event> wait_events(uint64_t after, int timeout_ms) override {
    std::vector<Event> out;
    {
      std::lock_guard l(mu);
      for (const auto& e : events)
        if (e.seq > after) out.push_back(e);
    }
    if (out.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 50)));
    return out;
  }
};

}  // namespace

TEST(Reporter, EveryChangeArrivesInOrderThroughServerErrors) {
  Cluster c;
  ASSERT_TRUE(c.cp.ready);
  const int n = 8;
  std::vector<std::string> arns;
  for (int i = 0; i < n; ++i) {
    auto run = c.cp.aws_cli("ecs run-task --cluster bars --task-definition web");
    ASSERT_FALSE(run.is_null());
    arns.push_back(run["tasks"][0]["taskArn"]);
  }
  ScriptedSource src;
  uint64_t seq = 0;
  for (const auto& a : arns) {
    auto add = [&](std::string container, std::string status, std::optional<int> code) {
      Event e;
      e.seq = ++seq;
      e.task_arn = a;
      e.container = container;
      e.status = status;
      e.exit_code = code;
      e.runtime_id = "rt";
      e.at = 1795558814.0 + seq;
      if (status == "STOPPED" && container.empty()) e.reason = "Essential container in task exited";
      src.events.push_back(e);
    };
    add("web", "PULLED", {});
    add("web", "RUNNING", {});
    add("", "RUNNING", {});
    add("web", "STOPPED", 0);
    add("", "STOPPED", {});
  }
  c.cp.faults({{"submit_5xx_rate", 0.3}, {"throttle_rate", 0.1}});
  char tmpl[] = "/tmp/ecsd-reporter-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string cursor = dir + "/cursor";
  Reporter r("bars", *c.client, src, cursor);
  std::thread t([&] { r.run(); });
  ASSERT_TRUE(eventually([&] { return r.stats().cursor == seq; }, std::chrono::seconds(120)));
  r.stop();
  t.join();
  EXPECT_EQ(load_cursor(cursor), seq);
  std::remove(cursor.c_str());
  rmdir(dir.c_str());

  auto st = c.cp.state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  EXPECT_GT(st["injected_faults"].get<int>(), 0);
  for (const auto& a : arns) {
    EXPECT_EQ(st["tasks"][a]["lastStatus"], "STOPPED");
    EXPECT_EQ(st["tasks"][a]["reports"], nlohmann::json::parse(R"(["RUNNING","STOPPED"])"));
    EXPECT_EQ(st["tasks"][a]["containers"]["web"]["exitCode"], 0);
  }
  auto d = c.cp.aws_cli("ecs describe-tasks --cluster bars --tasks " + arns[0]);
  EXPECT_EQ(d["tasks"][0]["lastStatus"], "STOPPED");
  EXPECT_EQ(d["tasks"][0]["stoppedReason"], "Essential container in task exited");
}

TEST(Reporter, RestartReplaysWithoutResendingOrReordering) {
  Cluster c;
  ASSERT_TRUE(c.cp.ready);
  auto a = c.cp.aws_cli("ecs run-task --cluster bars --task-definition web");
  auto b = c.cp.aws_cli("ecs run-task --cluster bars --task-definition web");
  ASSERT_FALSE(a.is_null());
  ASSERT_FALSE(b.is_null());
  std::string ta = a["tasks"][0]["taskArn"], tb = b["tasks"][0]["taskArn"];
  auto event = [](uint64_t seq, const std::string& task, const std::string& container, const std::string& status) {
    Event e;
    e.seq = seq;
    e.task_arn = task;
    e.container = container;
    e.status = status;
    e.runtime_id = "rt";
    e.at = 1795558814.0 + seq;
    return e;
  };
  // A's container RUNNING is held (its task is not RUNNING yet) while B runs and stops.
  std::vector<Event> all = {event(1, ta, "web", "RUNNING"), event(2, tb, "web", "RUNNING"), event(3, tb, "", "RUNNING"),
                            event(4, tb, "web", "STOPPED"),  event(5, tb, "", "STOPPED"),    event(6, ta, "", "RUNNING"),
                            event(7, ta, "web", "STOPPED"),  event(8, ta, "", "STOPPED")};
  char tmpl[] = "/tmp/ecsd-reporter-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string cursor = dir + "/cursor";
  {
    ScriptedSource first;
    first.events.assign(all.begin(), all.begin() + 5);
    Reporter r("bars", *c.client, first, cursor);
    std::thread t([&] { r.run(); });
    bool ok = eventually([&] { return r.stats().submitted == 3; });  // B RUNNING, B web STOPPED, B STOPPED
    if (!ok) {
      r.stop();
      t.join();
      FAIL() << "submitted " << r.stats().submitted << " dropped " << r.stats().dropped << " retries " << r.stats().retries << " " << c.cp.state()["violations"];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    r.stop();
    t.join();
    EXPECT_EQ(r.stats().cursor, 0u);  // held back by A's container event
  }
  std::set<uint64_t> sent;
  EXPECT_EQ(load_cursor(cursor, &sent), 0u);
  EXPECT_EQ(sent, (std::set<uint64_t>{3, 4, 5}));
  {
    ScriptedSource second;  // the restarted agent sees every event again
    second.events = all;
    Reporter r("bars", *c.client, second, cursor);
    std::thread t([&] { r.run(); });
    ASSERT_TRUE(eventually([&] { return r.stats().cursor == 8; }));
    r.stop();
    t.join();
    EXPECT_EQ(r.stats().submitted, 3u);  // A RUNNING (with its container), A web STOPPED, A STOPPED; nothing of B again
  }
  std::remove(cursor.c_str());
  rmdir(dir.c_str());
  auto st = c.cp.state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  EXPECT_EQ(st["state_changes"].size(), 6u);
  EXPECT_EQ(st["tasks"][ta]["reports"], nlohmann::json::parse(R"(["RUNNING","STOPPED"])"));
  EXPECT_EQ(st["tasks"][tb]["reports"], nlohmann::json::parse(R"(["RUNNING","STOPPED"])"));
}
