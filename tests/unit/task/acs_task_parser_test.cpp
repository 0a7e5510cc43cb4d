#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agent/task/acs_task_parser.h"
#include "agent/task/docker_config.h"
#include "agent/task/task_definition_parser.h"

namespace ecsd::task {
namespace {

using nlohmann::json;

std::string read_reference(const char* name) {
  std::ifstream in(std::string(ECSD_REFERENCE_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AcsTaskParser, RecordedPayloadExample) {
  std::string text = read_reference("acs-payload-example.json");
  ASSERT_FALSE(text.empty()) << "reference file missing";
  std::vector<std::string> notes;
  auto t = parse_acs_task(text, &notes);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->arn, "arn:aws:ecs:us-east-1:123456789012:task/demo/7c2d4e5f6a7b48c9a0b1c2d3e4f5a6b7");
  EXPECT_EQ(t->family, "demo-web");
  EXPECT_EQ(t->revision, "3");
  EXPECT_EQ(t->network_mode, NetworkMode::none);
  ASSERT_EQ(t->containers.size(), 2u);
  const auto& web = t->containers[0];
  EXPECT_EQ(web.cpu, 256);
  EXPECT_EQ(web.memory_mib, 64);
  EXPECT_EQ(web.memory_reservation_mib, 32);  // 33554432 bytes
  ASSERT_TRUE(web.health_check);
  EXPECT_EQ(web.health_check->command[0], "CMD-SHELL");
  EXPECT_EQ(web.health_check->interval_s, 5);  // 5000000000 ns
  EXPECT_EQ(web.health_check->timeout_s, 2);
  EXPECT_EQ(web.health_check->retries, 3);
  EXPECT_EQ(web.health_check->start_period_s, 0);
  ASSERT_EQ(web.ulimits.size(), 1u);
  EXPECT_EQ(web.ulimits[0], (Ulimit{"nofile", 1024, 4096}));
  EXPECT_EQ(web.environment, (std::vector<KeyValue>{{"MODE", "demo"}}));
  ASSERT_TRUE(web.entry_point);  // [] was sent: Docker treats it as "reset"
  EXPECT_TRUE(web.entry_point->empty());
  EXPECT_EQ(web.command->at(0), "httpd");  // overrides {"command": null} keep it
  const auto& side = t->containers[1];
  EXPECT_FALSE(side.essential);
  EXPECT_EQ(side.depends_on[0], (ContainerDependency{"web", DependencyCondition::healthy}));
  // taskDefinitionAccountId / launchType are not used: noted, not errors.
  EXPECT_NE(std::find(notes.begin(), notes.end(), "launchType: accepted, ignored by ecsd"), notes.end());
}

// The same task written as a task definition and as an ACS task.
TEST(AcsTaskParser, SameModelAsTaskDefinition) {
  auto td = parse_task_definition(R"({
    "family": "same", "networkMode": "host", "cpu": "1024", "memory": "512",
    "volumes": [{"name": "data", "host": {"sourcePath": "/srv"}}, {"name": "scratch"}],
    "containerDefinitions": [{
      "name": "web", "image": "busybox:1", "cpu": 256, "memory": 128, "memoryReservation": 64,
      "entryPoint": ["/bin/sh", "-c"], "command": ["httpd -f"],
      "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
      "hostname": "web.local", "user": "nobody", "workingDirectory": "/srv",
      "privileged": false, "readonlyRootFilesystem": true,
      "dnsServers": ["1.1.1.1"], "dnsSearchDomains": ["example.com"],
      "extraHosts": [{"hostname": "db", "ipAddress": "10.1.2.3"}, {"hostname": "v6", "ipAddress": "fe80::1"}],
      "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}, {"name": "core", "softLimit": 0, "hardLimit": 0}],
      "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]}, "initProcessEnabled": true,
        "sharedMemorySize": 256, "tmpfs": [{"containerPath": "/run", "size": 64, "mountOptions": ["noexec", "nosuid"]}],
        "devices": [{"hostPath": "/dev/fuse", "containerPath": "/dev/fuse", "permissions": ["read", "write", "mknod"]}],
        "maxSwap": 32, "swappiness": 60},
      "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true}],
      "dockerLabels": {"team": "a"},
      "healthCheck": {"command": ["CMD", "true"], "interval": 10, "timeout": 3, "retries": 4, "startPeriod": 15},
      "stopTimeout": 20, "startTimeout": 30,
      "logConfiguration": {"logDriver": "json-file", "options": {"max-size": "1m", "max-file": "2"}},
      "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    }, {
      "name": "side", "image": "busybox:1", "memoryReservation": 16, "essential": false,
      "command": ["sleep", "1"],
      "volumesFrom": [{"sourceContainer": "web", "readOnly": true}],
      "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/scratch"}],
      "dependsOn": [{"containerName": "web", "condition": "HEALTHY"}]
    }]
  })");
  ASSERT_TRUE(td) << td.error().message;

  json web_config = {
      {"Hostname", "web.local"}, {"User", "nobody"}, {"WorkingDir", "/srv"}, {"Labels", {{"team", "a"}}},
      {"Healthcheck",
       {{"Test", {"CMD", "true"}}, {"Interval", 10000000000LL}, {"Timeout", 3000000000LL}, {"Retries", 4},
        {"StartPeriod", 15000000000LL}}}};
  json web_host = {
      {"MemoryReservation", 64LL << 20}, {"MemorySwap", (128LL + 32) << 20}, {"MemorySwappiness", 60},
      {"ReadonlyRootfs", true}, {"Dns", {"1.1.1.1"}}, {"DnsSearch", {"example.com"}},
      {"ExtraHosts", {"db:10.1.2.3", "v6:fe80::1"}},
      {"Ulimits", {{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}, {{"Name", "core"}, {"Soft", 0}, {"Hard", 0}}}},
      {"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "1m"}, {"max-file", "2"}}}}},
      {"CapAdd", {"NET_ADMIN"}}, {"CapDrop", {"MKNOD"}}, {"Init", true}, {"ShmSize", 256LL << 20},
      {"Tmpfs", {{"/run", "noexec,nosuid,size=65536k"}}},
      {"Devices", {{{"PathOnHost", "/dev/fuse"}, {"PathInContainer", "/dev/fuse"}, {"CgroupPermissions", "rwm"}}}},
      {"NetworkMode", "host"}};
  json acs = {
      {"arn", "arn:aws:ecs:us-east-1:1:task/c/abc"}, {"family", "same"}, {"version", "1"},
      {"desiredStatus", "RUNNING"}, {"networkMode", "host"}, {"cpu", 1.0}, {"memory", 512},
      {"volumes", {{{"name", "data"}, {"type", "host"}, {"host", {{"sourcePath", "/srv"}}}},
                   {{"name", "scratch"}, {"type", "host"}, {"host", json::object()}}}},
      {"containers",
       {{{"name", "web"}, {"containerArn", "arn:c/web"}, {"image", "busybox:1"}, {"cpu", 256}, {"memory", 128},
         {"essential", true}, {"entryPoint", {"/bin/sh", "-c"}}, {"command", {"httpd -f"}},
         {"environment", {{"A", "1"}, {"B", "2"}}}, {"mountPoints", {{{"sourceVolume", "data"}, {"containerPath", "/data"}, {"readOnly", true}}}},
         {"portMappings", {{{"containerPort", 8080}, {"hostPort", 8080}, {"protocol", "tcp"}}}},
         {"stopTimeout", 20}, {"startTimeout", 30}, {"privileged", false},
         {"overrides", "{\"command\":null}"},
         {"dockerConfig", {{"version", "1.17"}, {"config", web_config.dump()}, {"hostConfig", web_host.dump()}}}},
        {{"name", "side"}, {"containerArn", "arn:c/side"}, {"image", "busybox:1"}, {"cpu", 0}, {"memory", 0},
         {"essential", false}, {"command", {"sleep", "1"}}, {"environment", json::object()},
         {"volumesFrom", {{{"sourceContainer", "web"}, {"readOnly", true}}}},
         {"mountPoints", {{{"sourceVolume", "scratch"}, {"containerPath", "/scratch"}}}},
         {"dependsOn", {{{"containerName", "web"}, {"condition", "HEALTHY"}}}},
         {"dockerConfig", {{"config", "{}"}, {"hostConfig", json{{"MemoryReservation", 16LL << 20}}.dump()}}}}}}};
  auto at = parse_acs_task_json(acs);
  ASSERT_TRUE(at) << at.error().message;

  // Identity fields exist only on an ACS task; everything else must agree.
  Task expected = *td;
  expected.arn = at->arn;
  expected.revision = at->revision;
  expected.containers[0].arn = "arn:c/web";
  expected.containers[1].arn = "arn:c/side";
  EXPECT_EQ(at->containers[0], expected.containers[0]);
  EXPECT_EQ(at->containers[1], expected.containers[1]);
  EXPECT_EQ(at->volumes, expected.volumes);
  EXPECT_EQ(*at, expected);

  // And the comparison is not vacuous: one differing field breaks it.
  Task changed = expected;
  changed.containers[0].linux_parameters.tmpfs[0].size_mib = 65;
  EXPECT_FALSE(*at == changed);
}

TEST(AcsTaskParser, OverridesReplaceCommand) {
  json acs = {{"family", "f"}, {"containers", {{{"name", "a"}, {"image", "i"}, {"memory", 8},
                                                {"command", {"old"}}, {"overrides", "{\"command\":[\"new\",\"x\"]}"}}}}};
  auto t = parse_acs_task_json(acs);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(*t->containers[0].command, (std::vector<std::string>{"new", "x"}));
}

TEST(AcsTaskParser, TypeErrorsNameTheField) {
  json acs = {{"family", "f"}, {"containers", {{{"name", "a"}, {"image", "i"}, {"memory", 8}},
                                               {{"name", "b"}, {"image", "i"}, {"cpu", "x"}}}}};
  auto t = parse_acs_task_json(acs);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "ACS task: containers[1].cpu: expected an integer, got string \"x\"");

  json bad_host = {{"family", "f"}, {"containers", {{{"name", "a"}, {"image", "i"}, {"memory", 8},
                                                     {"dockerConfig", {{"hostConfig", "{\"Dns\": \"1.1.1.1\"}"}}}}}}};
  t = parse_acs_task_json(bad_host);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("containers[0].dockerConfig.hostConfig.Dns: expected an array of strings"),
            std::string::npos);

  json bad_json = {{"family", "f"}, {"containers", {{{"name", "a"}, {"image", "i"}, {"memory", 8},
                                                     {"dockerConfig", {{"config", "{oops"}}}}}}};
  t = parse_acs_task_json(bad_json);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("containers[0].dockerConfig.config: invalid JSON"), std::string::npos);
}

TEST(AcsTaskParser, UnknownFieldsAreNotes) {
  json acs = {{"family", "f"}, {"brandNew", 1},
              {"containers", {{{"name", "a"}, {"image", "i"}, {"memory", 8},
                               {"dockerConfig", {{"hostConfig", "{\"Sysctls\":{\"a\":\"b\"},\"Foo\":1}"}}}}}}};
  std::vector<std::string> notes;
  auto t = parse_acs_task_json(acs, &notes);
  ASSERT_TRUE(t) << t.error().message;
  auto has = [&](const std::string& s) { return std::find(notes.begin(), notes.end(), s) != notes.end(); };
  EXPECT_TRUE(has("brandNew: unknown field, ignored"));
  EXPECT_TRUE(has("containers[0].dockerConfig.hostConfig.Sysctls: accepted, ignored by ecsd"));
  EXPECT_TRUE(has("containers[0].dockerConfig.hostConfig.Foo: unknown field, ignored"));
}

TEST(AcsTaskParser, HealthcheckDefaultsAndNone) {
  ContainerModel c;
  ASSERT_TRUE(apply_docker_config(R"({"Healthcheck":{"Test":["CMD","x"]}})", "config", c, nullptr));
  ASSERT_TRUE(c.health_check);
  EXPECT_EQ(c.health_check->interval_s, 30);
  EXPECT_EQ(c.health_check->timeout_s, 5);
  EXPECT_EQ(c.health_check->retries, 3);
  EXPECT_EQ(c.health_check->start_period_s, 0);
  ASSERT_TRUE(apply_docker_config(R"({"Healthcheck":{"Test":["NONE"]}})", "config", c, nullptr));
  EXPECT_FALSE(c.health_check);
}

TEST(AcsTaskParser, DockerConfigEnvUnderTypedEnvironment) {
  ContainerModel c;
  c.environment = {{"A", "typed"}};
  ASSERT_TRUE(apply_docker_config(R"({"Env":["A=docker","Z=1"]})", "config", c, nullptr));
  EXPECT_EQ(c.environment, (std::vector<KeyValue>{{"A", "typed"}, {"Z", "1"}}));
}

TEST(DockerSize, Units) {
  EXPECT_EQ(parse_docker_size("65536k").value(), 64LL << 20);
  EXPECT_EQ(parse_docker_size("64m").value(), 64LL << 20);
  EXPECT_EQ(parse_docker_size("1G").value(), 1LL << 30);
  EXPECT_EQ(parse_docker_size("100").value(), 100);
  EXPECT_FALSE(parse_docker_size("10x").has_value());
  EXPECT_FALSE(parse_docker_size("m").has_value());
}

}  // namespace
}  // namespace ecsd::task
