// Pure parts of registration and state changes, compared with what the Go
// agent sent (tests/fixtures/controlplane/reference/).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "agent/ecs/client.h"
#include "agent/ecs/registration.h"
#include "agent/ecs/state_change.h"

using namespace ecsd;
using namespace ecsd::ecs;

namespace {

nlohmann::json reference(const std::string& name) {
  std::ifstream f(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/controlplane/reference/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(ss.str());
}

config::Config default_config() {
  config::LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{};
  return config::load(o)->config;
}

}  // namespace

TEST(Registration, BodyHasTheGoAgentsShape) {
  auto ref = reference("go-agent-v1.72-register-request.json");
  auto cfg = default_config();
  RegistrationInput in;
  in.cluster = "bars";
  in.identity_document = ref["instanceIdentityDocument"];
  in.identity_signature = ref["instanceIdentityDocumentSignature"];
  in.resources = *resources_from("MemTotal:       24684000 kB\n", 2, cfg);
  in.attributes = instance_attributes(cfg);
  auto body = register_request_body(in);

  // Same top-level keys (no tags, no containerInstanceArn on first registration).
  std::set<std::string> ref_keys, our_keys;
  for (auto it = ref.begin(); it != ref.end(); ++it) ref_keys.insert(it.key());
  for (auto it = body.begin(); it != body.end(); ++it) our_keys.insert(it.key());
  EXPECT_EQ(our_keys, ref_keys);
  // totalResources: same names, types, order; CPU and ports as the Go agent computes them.
  ASSERT_EQ(body["totalResources"].size(), ref["totalResources"].size());
  for (size_t i = 0; i < ref["totalResources"].size(); ++i) {
    EXPECT_EQ(body["totalResources"][i]["name"], ref["totalResources"][i]["name"]);
    EXPECT_EQ(body["totalResources"][i]["type"], ref["totalResources"][i]["type"]);
  }
  EXPECT_EQ(body["totalResources"][0]["integerValue"], 2048);
  EXPECT_EQ(body["totalResources"][1]["integerValue"], 24105);  // 24684000 kB / 1024
  EXPECT_EQ(body["totalResources"][2]["stringSetValue"], ref["totalResources"][2]["stringSetValue"]);
  EXPECT_EQ(body["totalResources"][3]["stringSetValue"], ref["totalResources"][3]["stringSetValue"]);
  // Every attribute we claim is one the Go agent claims (same spelling).
  std::set<std::string> ref_names;
  for (const auto& a : ref["attributes"]) ref_names.insert(a["name"].get<std::string>());
  for (const auto& a : body["attributes"])
    EXPECT_TRUE(ref_names.count(a["name"].get<std::string>())) << a["name"];
  // os-type / os-family with the same values.
  for (const auto& a : body["attributes"]) {
    if (a["name"] == "ecs.os-type") EXPECT_EQ(a["value"], "linux");
    if (a["name"] == "ecs.os-family") EXPECT_EQ(a["value"], "LINUX");
  }
}

TEST(Registration, ConfigShapesAttributesResourcesAndTags) {
  config::LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{{"ECS_DISABLE_PRIVILEGED", "true"},
                                             {"ECS_RESERVED_MEMORY", "512"},
                                             {"ECS_RESERVED_PORTS", "[22, 8080]"},
                                             {"ECS_RESERVED_PORTS_UDP", "[53]"},
                                             {"ECS_AVAILABLE_LOGGING_DRIVERS", "[\"json-file\",\"awslogs\"]"},
                                             {"ECS_INSTANCE_ATTRIBUTES", "{\"team\":\"blue\"}"}};
  auto cfg = config::load(o)->config;
  auto attrs = instance_attributes(cfg);
  std::map<std::string, std::optional<std::string>> m;
  for (const auto& a : attrs) m[a.name] = a.value;
  EXPECT_FALSE(m.count("com.amazonaws.ecs.capability.privileged-container"));
  EXPECT_TRUE(m.count("com.amazonaws.ecs.capability.logging-driver.awslogs"));
  EXPECT_FALSE(m.count("com.amazonaws.ecs.capability.logging-driver.none"));
  EXPECT_EQ(m["team"], "blue");
  auto r = resources_from("MemTotal: 2097152 kB\nMemFree: 1 kB\n", 4, cfg);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cpu, 4096);
  EXPECT_EQ(r->memory_mib, 2048 - 512);
  EXPECT_EQ(r->ports, (std::vector<uint16_t>{22, 8080}));
  EXPECT_EQ(r->ports_udp, (std::vector<uint16_t>{53}));
  EXPECT_FALSE(resources_from("MemTotal: 100 kB\n", 1, cfg));  // reservation exceeds memory

  RegistrationInput in;
  in.cluster = "c";
  in.existing_arn = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/abc";
  in.tags = {{"env", "prod"}};
  auto body = register_request_body(in);
  EXPECT_EQ(body["containerInstanceArn"], in.existing_arn);
  EXPECT_EQ(body["tags"], nlohmann::json::parse(R"([{"key":"env","value":"prod"}])"));
}

TEST(StateChange, BodyMatchesTheGoAgentsForm) {
  auto ref = reference("go-agent-v1.72-state-changes.json");
  const auto& first = ref[0]["body"];
  TaskChange c;
  c.cluster = "bars";
  c.task_arn = first["task"];
  c.status = "RUNNING";
  c.pull_started_at = first["pullStartedAt"].get<double>();
  c.pull_stopped_at = first["pullStoppedAt"].get<double>();
  for (const auto& rc : first["containers"]) {
    ContainerChange cc;
    cc.name = rc["containerName"];
    cc.image_digest = rc["imageDigest"];
    cc.runtime_id = rc["runtimeId"];
    cc.status = rc["status"];
    c.containers.push_back(cc);
  }
  EXPECT_EQ(task_state_change_body(c), first);

  const auto& second = ref[1]["body"];
  TaskChange s = c;
  s.containers.clear();
  ContainerChange sc;
  sc.name = "sidecar";
  sc.image_digest = second["containers"][0]["imageDigest"];
  sc.runtime_id = second["containers"][0]["runtimeId"];
  sc.status = "STOPPED";
  sc.exit_code = 0;
  s.containers.push_back(sc);
  EXPECT_EQ(task_state_change_body(s), second);
}

TEST(StateChange, ReasonsAreCutTo255AndBindingsSerialized) {
  TaskChange c;
  c.cluster = "x";
  c.task_arn = "t";
  c.status = "STOPPED";
  c.reason = std::string(400, 'r');
  ContainerChange cc;
  cc.name = "web";
  cc.status = "STOPPED";
  cc.exit_code = 137;
  cc.reason = std::string(300, 'o');
  cc.bindings.push_back({"0.0.0.0", 80, 32768, "tcp"});
  c.containers.push_back(cc);
  c.execution_stopped_at = 1795558830.5;
  auto b = task_state_change_body(c);
  EXPECT_EQ(b["reason"].get<std::string>().size(), 255u);
  EXPECT_EQ(b["containers"][0]["reason"].get<std::string>().size(), 255u);
  EXPECT_EQ(b["containers"][0]["exitCode"], 137);
  EXPECT_EQ(b["containers"][0]["networkBindings"][0],
            nlohmann::json::parse(R"({"bindIP":"0.0.0.0","containerPort":80,"hostPort":32768,"protocol":"tcp"})"));
  EXPECT_EQ(b["executionStoppedAt"], 1795558830.5);
  auto cb = container_state_change_body("x", "t", cc);
  EXPECT_EQ(cb["containerName"], "web");
  EXPECT_EQ(cb["exitCode"], 137);
}

TEST(ApiErrors, Classification) {
  auto e = error_from_response("Op", 400, {}, R"({"__type":"com.amazonaws.ecs#ThrottlingException","message":"Rate exceeded"})");
  EXPECT_EQ(e.type, "ThrottlingException");
  EXPECT_TRUE(e.retryable);
  e = error_from_response("Op", 503, {}, "<html>busy</html>");
  EXPECT_EQ(e.type, "ServerException");
  EXPECT_TRUE(e.retryable);
  e = error_from_response("Op", 400, {{"x-amzn-ErrorType", "ClientException:http://internal"}}, "{}");
  EXPECT_EQ(e.type, "ClientException");
  EXPECT_FALSE(e.retryable);
  e = error_from_response("Op", 400, {}, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})");
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.str().find("ClusterNotFoundException (HTTP 400): Cluster not found."), std::string::npos);
}

TEST(Backoff, FullJitterWithinCeiling) {
  RetryPolicy p;
  p.base = std::chrono::milliseconds(100);
  p.cap = std::chrono::milliseconds(1000);
  for (int attempt = 0; attempt < 10; ++attempt)
    for (int i = 0; i < 50; ++i) {
      auto d = backoff_delay(p, attempt);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), std::min<int64_t>(100LL << attempt, 1000));
    }
}
