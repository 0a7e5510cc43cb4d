// The ECS client against the test control plane (moto + additions), with the
// AWS CLI as the independent reader of what ECS recorded.
#include <gtest/gtest.h>

#include <atomic>

#include "agent/aws/imds.h"
#include "agent/ecs/client.h"
#include "agent/ecs/registration.h"
#include "agent/ecs/state_change.h"
#include "tests/unit/ecs/control_plane.h"

using namespace ecsd;
using namespace ecsd::ecs;
using ecsd::testing::ControlPlane;

namespace {

struct Fixture {
  ControlPlane cp;
  std::atomic<int> sleeps{0};
  std::unique_ptr<Client> client;
  explicit Fixture(bool imds_creds = true) {
    ClientOptions o;
    o.endpoint = cp.url;
    o.region = "us-east-1";
    o.credentials = imds_creds ? cp.imds_credentials() : cp.static_credentials();
    o.retry.base = std::chrono::milliseconds(1);
    o.sleep = [this](std::chrono::milliseconds) { ++sleeps; };
    client = std::make_unique<Client>(o);
  }
  RegistrationInput input(const std::string& cluster) {
    aws::ImdsClient imds(cp.url);
    auto id = imds.identity();
    RegistrationInput in;
    in.cluster = cluster;
    in.identity_document = id->document;
    in.identity_signature = id->signature;
    in.resources = Resources{3072, 5000, {22, 2375}, {53}};
    config::Config cfg;
    cfg.available_logging_drivers = {"json-file"};
    cfg.instance_attributes = {{"team", "blue"}};
    in.attributes = instance_attributes(cfg);
    in.tags = {{"env", "test"}};
    return in;
  }
};

}  // namespace

TEST(EcsClient, RegistersAndTheCliSeesWhatWasSent) {
  Fixture f;
  ASSERT_TRUE(f.cp.ready);
  ASSERT_FALSE(f.cp.aws_cli("ecs create-cluster --cluster-name blue").is_null());
  auto reg = register_container_instance(*f.client, f.input("blue"));
  ASSERT_TRUE(reg) << reg.error().str();
  EXPECT_NE(reg->container_instance_arn.find(":container-instance/"), std::string::npos);

  auto d = f.cp.aws_cli("ecs describe-container-instances --cluster blue --container-instances " +
                        reg->container_instance_arn);
  ASSERT_FALSE(d.is_null());
  const auto& ci = d["containerInstances"][0];
  EXPECT_EQ(ci["ec2InstanceId"], f.cp.instance_id);
  std::map<std::string, nlohmann::json> res;
  for (const auto& r : ci["registeredResources"]) res[r["name"]] = r;
  EXPECT_EQ(res["CPU"]["integerValue"], 3072);
  EXPECT_EQ(res["MEMORY"]["integerValue"], 5000);
  EXPECT_EQ(res["PORTS"]["stringSetValue"], nlohmann::json::parse(R"(["22","2375"])"));
  EXPECT_EQ(res["PORTS_UDP"]["stringSetValue"], nlohmann::json::parse(R"(["53"])"));
  std::map<std::string, std::string> attrs;
  for (const auto& a : ci["attributes"]) attrs[a["name"]] = a.value("value", "");
  EXPECT_TRUE(attrs.count("ecs.capability.container-ordering"));
  EXPECT_TRUE(attrs.count("com.amazonaws.ecs.capability.logging-driver.json-file"));
  EXPECT_EQ(attrs["team"], "blue");
  EXPECT_EQ(attrs["ecs.os-type"], "linux");

  // Signed with the instance profile's keys from IMDS; every signature checked.
  auto st = f.cp.state();
  EXPECT_TRUE(st["sig_failures"].empty()) << st["sig_failures"];
  EXPECT_EQ(st["imds"]["credentials"], 1);
  EXPECT_EQ(st["registrations"][0]["tags"][0]["key"], "env");

  // Re-registration with the saved ARN keeps the ARN.
  auto in = f.input("blue");
  in.existing_arn = reg->container_instance_arn;
  auto again = register_container_instance(*f.client, in);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(again->container_instance_arn, reg->container_instance_arn);
  auto list = f.cp.aws_cli("ecs list-container-instances --cluster blue");
  EXPECT_EQ(list["containerInstanceArns"].size(), 1u);
}

TEST(EcsClient, MissingClusterIsTerminalButDefaultIsCreated) {
  Fixture f;
  ASSERT_TRUE(f.cp.ready);
  auto reg = register_container_instance(*f.client, f.input("nonexistent"));
  ASSERT_FALSE(reg);
  EXPECT_EQ(reg.error().type, "ClusterNotFoundException");
  EXPECT_FALSE(reg.error().retryable);
  EXPECT_EQ(reg.error().attempts, 1);

  auto def = register_container_instance(*f.client, f.input("default"));
  ASSERT_TRUE(def) << def.error().str();
  auto clusters = f.cp.aws_cli("ecs list-clusters");
  EXPECT_NE(clusters.dump().find("cluster/default"), std::string::npos);
}

TEST(EcsClient, ServerErrorsAreRetriedWithBackoff) {
  Fixture f;
  ASSERT_TRUE(f.cp.ready);
  f.cp.aws_cli("ecs create-cluster --cluster-name retry");
  f.cp.faults({{"register_5xx", 3}});
  auto reg = register_container_instance(*f.client, f.input("retry"));
  ASSERT_TRUE(reg) << reg.error().str();
  EXPECT_EQ(f.sleeps.load(), 3);
  EXPECT_EQ(f.cp.state()["injected_faults"], 3);

  // More failures than attempts: a retryable error comes back, counted.
  f.cp.faults({{"register_5xx", 100}});
  auto bad = register_container_instance(*f.client, f.input("retry"));
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().retryable);
  EXPECT_EQ(bad.error().attempts, f.client->options().retry.max_attempts);
  EXPECT_EQ(bad.error().http_status, 500);
}

TEST(EcsClient, DiscoverPollEndpointIsCached) {
  Fixture f;
  ASSERT_TRUE(f.cp.ready);
  f.cp.aws_cli("ecs create-cluster --cluster-name poll");
  auto reg = register_container_instance(*f.client, f.input("poll"));
  ASSERT_TRUE(reg);
  int before = f.client->requests_sent();
  auto a = f.client->discover_poll_endpoint("poll", reg->container_instance_arn);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(a->acs, "http://127.0.0.1:" + f.cp.acs_port + "/");
  auto b = f.client->discover_poll_endpoint("poll", reg->container_instance_arn);
  ASSERT_TRUE(b);
  EXPECT_EQ(f.client->requests_sent(), before + 1);
  f.client->invalidate_poll_endpoint();
  ASSERT_TRUE(f.client->discover_poll_endpoint("poll", reg->container_instance_arn));
  EXPECT_EQ(f.client->requests_sent(), before + 2);
}

TEST(EcsClient, StateChangesAreRecordedAndVisibleInDescribeTasks) {
  Fixture f;
  ASSERT_TRUE(f.cp.ready);
  f.cp.aws_cli("ecs create-cluster --cluster-name sc");
  auto reg = register_container_instance(*f.client, f.input("sc"));
  ASSERT_TRUE(reg);
  f.cp.aws_cli(
      "ecs register-task-definition --family web --container-definitions "
      "'[{\"name\":\"web\",\"image\":\"busybox\",\"memory\":32,\"essential\":true},"
      "{\"name\":\"side\",\"image\":\"busybox\",\"memory\":16,\"essential\":false}]'");
  auto run = f.cp.aws_cli("ecs run-task --cluster sc --task-definition web");
  ASSERT_FALSE(run.is_null());
  std::string task_arn = run["tasks"][0]["taskArn"];
  EXPECT_EQ(run["tasks"][0]["lastStatus"], "PENDING");  // not moto's instant RUNNING

  TaskChange running;
  running.cluster = "sc";
  running.task_arn = task_arn;
  running.status = "RUNNING";
  running.containers = {{"web", "rt-web", "sha256:abc", "RUNNING", std::nullopt, "", {{"0.0.0.0", 80, 8080, "tcp"}}},
                        {"side", "rt-side", "sha256:abc", "RUNNING", std::nullopt, "", {}}};
  running.pull_started_at = 1795558814.962;
  f.cp.faults({{"submit_5xx_rate", 0.5}});
  auto r = f.client->call("SubmitTaskStateChange", task_state_change_body(running));
  ASSERT_TRUE(r) << r.error().str();
  TaskChange stopped = running;
  stopped.status = "STOPPED";
  stopped.reason = "Essential container in task exited";
  stopped.containers = {{"web", "rt-web", "sha256:abc", "STOPPED", 3, "", {}},
                        {"side", "rt-side", "sha256:abc", "STOPPED", 0, "", {}}};
  r = f.client->call("SubmitTaskStateChange", task_state_change_body(stopped));
  ASSERT_TRUE(r) << r.error().str();

  auto d = f.cp.aws_cli("ecs describe-tasks --cluster sc --tasks " + task_arn);
  const auto& t = d["tasks"][0];
  EXPECT_EQ(t["lastStatus"], "STOPPED");
  EXPECT_EQ(t["stoppedReason"], "Essential container in task exited");
  std::map<std::string, nlohmann::json> cs;
  for (const auto& c : t["containers"]) cs[c["name"]] = c;
  EXPECT_EQ(cs["web"]["exitCode"], 3);
  EXPECT_EQ(cs["side"]["exitCode"], 0);
  EXPECT_EQ(cs["web"]["lastStatus"], "STOPPED");
  EXPECT_EQ(cs["web"]["runtimeId"], "rt-web");
  auto st = f.cp.state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  EXPECT_EQ(st["state_changes"].size(), 2u);
}

TEST(EcsClient, ExpiredCredentialsAreRefreshedOnce) {
  Fixture f;
  ASSERT_TRUE(f.cp.ready);
  f.cp.aws_cli("ecs create-cluster --cluster-name exp");
  ASSERT_TRUE(f.client->call("ListClusters", nlohmann::json::object()));
  f.cp.post("/_cp/expire-credentials");
  auto r = f.client->call("ListClusters", nlohmann::json::object());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(f.cp.state()["imds"]["credentials"], 2);
}
