#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/task/task_definition_parser.h"

namespace ecsd::task {
namespace {

using nlohmann::json;

json minimal() {
  return json::parse(R"({
    "family": "demo",
    "containerDefinitions": [{"name": "web", "image": "busybox", "memory": 64}]
  })");
}

std::string error_of(const json& j) {
  auto t = parse_task_definition_json(j);
  EXPECT_FALSE(t.has_value()) << j.dump();
  return t ? std::string() : t.error().message;
}

TEST(TaskDefinitionParser, MinimalGetsEcsDefaults) {
  auto t = parse_task_definition_json(minimal());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->family, "demo");
  EXPECT_EQ(t->network_mode, NetworkMode::bridge);
  EXPECT_FALSE(t->cpu_units);
  EXPECT_FALSE(t->memory_mib);
  ASSERT_EQ(t->containers.size(), 1u);
  const auto& c = t->containers[0];
  EXPECT_TRUE(c.essential);
  EXPECT_EQ(c.cpu, 0);
  EXPECT_EQ(c.memory_mib, 64);
  EXPECT_FALSE(c.memory_reservation_mib);
  EXPECT_FALSE(c.entry_point);
  EXPECT_FALSE(c.command);
  EXPECT_FALSE(c.privileged);
  EXPECT_EQ(c.log_configuration.driver, "json-file");
  EXPECT_FALSE(c.health_check);
  EXPECT_FALSE(c.stop_timeout_s);
}

TEST(TaskDefinitionParser, EveryModelledField) {
  auto j = json::parse(R"({
    "family": "full", "taskRoleArn": "arn:aws:iam::1:role/t", "executionRoleArn": "arn:aws:iam::1:role/e",
    "networkMode": "host", "cpu": "0.5 vCPU", "memory": "1 GB", "pidMode": "task", "ipcMode": "none",
    "volumes": [
      {"name": "data", "host": {"sourcePath": "/srv/data"}},
      {"name": "scratch", "host": {}},
      {"name": "empty"},
      {"name": "dv", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true, "driver": "local",
        "driverOpts": {"type": "tmpfs"}, "labels": {"a": "b"}}},
      {"name": "fs", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}
    ],
    "containerDefinitions": [{
      "name": "app", "image": "busybox:1", "cpu": 128, "memory": 256, "memoryReservation": 128,
      "essential": true, "entryPoint": ["/bin/sh", "-c"], "command": ["echo hi"],
      "environment": [{"name": "Z", "value": "1"}, {"name": "A", "value": "2"}, {"name": "Z", "value": "3"}],
      "environmentFiles": [{"value": "/etc/app.env", "type": "file"}],
      "workingDirectory": "/w", "user": "1000:1000", "privileged": false, "readonlyRootFilesystem": true,
      "disableNetworking": false, "hostname": "apphost", "dnsServers": ["10.0.0.2"], "dnsSearchDomains": ["corp"],
      "extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.9"}],
      "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
      "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]}, "initProcessEnabled": true,
        "sharedMemorySize": 128, "tmpfs": [{"containerPath": "/run", "size": 64, "mountOptions": ["noexec"]}],
        "devices": [{"hostPath": "/dev/fuse", "permissions": ["read", "write"]}], "maxSwap": 0, "swappiness": 10},
      "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true},
                      {"sourceVolume": "empty", "containerPath": "/e"}],
      "volumesFrom": [{"sourceContainer": "side", "readOnly": true}],
      "dockerLabels": {"team": "x"},
      "dependsOn": [{"containerName": "side", "condition": "HEALTHY"}],
      "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 10},
      "startTimeout": 60, "stopTimeout": 20,
      "logConfiguration": {"logDriver": "json-file", "options": {"max-size": "10m"}},
      "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]
    }, {
      "name": "side", "image": "busybox", "memoryReservation": 32, "essential": false,
      "healthCheck": {"command": ["CMD", "true"]}
    }]
  })");
  std::vector<std::string> notes;
  auto t = parse_task_definition_json(j, &notes);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->cpu_units, 512);
  EXPECT_EQ(t->memory_mib, 1024);
  EXPECT_EQ(t->network_mode, NetworkMode::host);
  EXPECT_EQ(t->pid_mode, "task");
  EXPECT_EQ(t->ipc_mode, "none");
  EXPECT_EQ(t->task_role_arn, "arn:aws:iam::1:role/t");
  ASSERT_EQ(t->volumes.size(), 5u);
  EXPECT_EQ(t->volumes[0].kind, VolumeKind::host);
  EXPECT_EQ(t->volumes[0].source_path, "/srv/data");
  EXPECT_EQ(t->volumes[1].kind, VolumeKind::task_empty);
  EXPECT_EQ(t->volumes[2].kind, VolumeKind::task_empty);
  EXPECT_EQ(t->volumes[3].kind, VolumeKind::docker);
  EXPECT_EQ(t->volumes[3].docker.scope, "shared");
  EXPECT_EQ(t->volumes[3].docker.driver_opts.at("type"), "tmpfs");
  EXPECT_EQ(t->volumes[4].kind, VolumeKind::unsupported);
  EXPECT_EQ(t->volumes[4].unsupported_type, "efs");

  const auto& c = t->containers[0];
  EXPECT_EQ(c.cpu, 128);
  EXPECT_EQ(c.memory_reservation_mib, 128);
  EXPECT_EQ(*c.entry_point, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(*c.command, (std::vector<std::string>{"echo hi"}));
  ASSERT_EQ(c.environment.size(), 2u);
  EXPECT_EQ(c.environment[0], (KeyValue{"A", "2"}));
  EXPECT_EQ(c.environment[1], (KeyValue{"Z", "3"}));
  EXPECT_EQ(c.environment_files[0].type, "file");
  EXPECT_TRUE(c.readonly_root_filesystem);
  EXPECT_EQ(c.extra_hosts[0], (HostEntry{"db", "10.0.0.9"}));
  EXPECT_EQ(c.ulimits[0], (Ulimit{"nofile", 1024, 4096}));
  EXPECT_EQ(c.linux_parameters.cap_add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_TRUE(c.linux_parameters.init_process_enabled);
  EXPECT_EQ(c.linux_parameters.shared_memory_size_mib, 128);
  EXPECT_EQ(c.linux_parameters.tmpfs[0], (TmpfsMount{"/run", 64, {"noexec"}}));
  EXPECT_EQ(c.linux_parameters.devices[0].permissions, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(c.linux_parameters.max_swap_mib, 0);
  EXPECT_EQ(c.linux_parameters.swappiness, 10);
  EXPECT_TRUE(c.mount_points[0].read_only);
  EXPECT_FALSE(c.mount_points[1].read_only);
  EXPECT_EQ(c.depends_on[0], (ContainerDependency{"side", DependencyCondition::healthy}));
  ASSERT_TRUE(c.health_check);
  EXPECT_EQ(c.health_check->interval_s, 10);  // given
  EXPECT_EQ(c.health_check->timeout_s, 5);    // ECS defaults for the rest
  EXPECT_EQ(c.health_check->retries, 3);
  EXPECT_EQ(c.health_check->start_period_s, 0);
  EXPECT_EQ(c.stop_timeout_s, 20);
  EXPECT_EQ(c.start_timeout_s, 60);
  EXPECT_EQ(c.log_configuration.options.at("max-size"), "10m");
  EXPECT_EQ(c.port_mappings[0].host_port, 8080);
  EXPECT_FALSE(t->containers[1].essential);
  ASSERT_TRUE(t->containers[1].health_check);
  EXPECT_EQ(t->containers[1].health_check->interval_s, 30);
}

TEST(TaskDefinitionParser, DescribeTaskDefinitionOutput) {
  json inner = minimal();
  inner["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:1:task-definition/demo:7";
  inner["revision"] = 7;
  inner["status"] = "ACTIVE";
  inner["requiresAttributes"] = json::array({{{"name", "com.amazonaws.ecs.capability.docker-remote-api.1.18"}}});
  inner["compatibilities"] = {"EC2"};
  inner["registeredAt"] = "2024-01-01T00:00:00+00:00";
  inner["registeredBy"] = "arn:aws:iam::1:root";
  json wrapped = {{"taskDefinition", inner}, {"tags", json::array()}};
  std::vector<std::string> notes;
  auto t = parse_task_definition_json(wrapped, &notes);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->revision, "7");
  EXPECT_EQ(t->task_definition_arn, "arn:aws:ecs:us-east-1:1:task-definition/demo:7");
  EXPECT_EQ(t->containers[0].name, "web");
  EXPECT_NE(std::find(notes.begin(), notes.end(), "status: accepted, ignored by ecsd"), notes.end());

  json bad = wrapped;
  bad["extra"] = 1;
  EXPECT_NE(error_of(bad).find("unknown field \"extra\""), std::string::npos);
}

TEST(TaskDefinitionParser, FromText) {
  auto t = parse_task_definition(R"({"family":"f","containerDefinitions":[{"name":"a","image":"i","memory":8}]})");
  ASSERT_TRUE(t) << t.error().message;
  auto e = parse_task_definition("{\"family\": ");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("invalid JSON"), std::string::npos);
}

TEST(TaskDefinitionParser, TypeErrorsNameTheField) {
  json j = minimal();
  j["containerDefinitions"][0]["cpu"] = "256";
  EXPECT_EQ(error_of(j), "task definition: containerDefinitions[0].cpu: expected an integer, got string \"256\"");

  j = minimal();
  j["containerDefinitions"][0]["cpu"] = 2.5;
  EXPECT_NE(error_of(j).find("containerDefinitions[0].cpu: expected an integer"), std::string::npos);

  j = minimal();
  j["containerDefinitions"][0]["essential"] = "yes";
  EXPECT_NE(error_of(j).find("containerDefinitions[0].essential: expected a boolean"), std::string::npos);

  j = minimal();
  j["containerDefinitions"][0]["command"] = "echo hi";
  EXPECT_NE(error_of(j).find("containerDefinitions[0].command: expected an array of strings"), std::string::npos);

  j = minimal();
  j["containerDefinitions"][0]["command"] = {"echo", 1};
  EXPECT_NE(error_of(j).find("containerDefinitions[0].command[1]: expected a string"), std::string::npos);

  j = minimal();
  j["cpu"] = 256;
  EXPECT_NE(error_of(j).find("cpu: expected a string such as \"256\""), std::string::npos);

  j = minimal();
  j["memory"] = "lots";
  EXPECT_NE(error_of(j).find("memory: expected MiB"), std::string::npos);

  j = minimal();
  j["networkMode"] = "overlay";
  EXPECT_NE(error_of(j).find("networkMode: expected bridge, host, awsvpc or none"), std::string::npos);

  j = minimal();
  j["containerDefinitions"][0]["dependsOn"] = json::parse(R"([{"containerName": "web", "condition": "READY"}])");
  EXPECT_NE(error_of(j).find("containerDefinitions[0].dependsOn[0].condition: expected START"), std::string::npos);

  j = minimal();
  j["containerDefinitions"] = json::object();
  EXPECT_NE(error_of(j).find("containerDefinitions: expected an array"), std::string::npos);

  j = minimal();
  j.erase("family");
  EXPECT_NE(error_of(j).find("family: required"), std::string::npos);

  j = minimal();
  j["containerDefinitions"][0].erase("image");
  EXPECT_NE(error_of(j).find("containerDefinitions[0].image: required"), std::string::npos);
}

TEST(TaskDefinitionParser, UnknownFieldsAreNamed) {
  json j = minimal();
  j["containerDefinitions"][0]["memmory"] = 64;
  j["containerDefinitions"][0]["cpus"] = 1;
  EXPECT_EQ(error_of(j), "task definition: containerDefinitions[0]: unknown fields \"cpus\", \"memmory\"");

  j = minimal();
  j["containerDefinitions"][0]["linuxParameters"] = {{"initProcessEnabled", true}, {"seccomp", "x"}};
  EXPECT_NE(error_of(j).find("containerDefinitions[0].linuxParameters: unknown field \"seccomp\""), std::string::npos);

  j = minimal();
  j["familly"] = "x";
  EXPECT_EQ(error_of(j), "task definition: unknown field \"familly\"");
}

TEST(TaskDefinitionParser, DocumentedButIgnoredFieldsAreAcceptedAndNoted) {
  json j = minimal();
  j["requiresCompatibilities"] = {"EC2"};
  j["tags"] = json::array({{{"key", "k"}, {"value", "v"}}});
  j["runtimePlatform"] = {{"operatingSystemFamily", "LINUX"}};
  j["containerDefinitions"][0]["secrets"] = json::array({{{"name", "S"}, {"valueFrom", "arn:x"}}});
  j["containerDefinitions"][0]["pseudoTerminal"] = false;
  j["containerDefinitions"][0]["logConfiguration"] = {{"logDriver", "awslogs"},
                                                      {"secretOptions", json::array()}};
  std::vector<std::string> notes;
  auto t = parse_task_definition_json(j, &notes);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->containers[0].log_configuration.driver, "awslogs");
  for (auto want : {"requiresCompatibilities", "tags", "runtimePlatform", "containerDefinitions[0].secrets",
                    "containerDefinitions[0].pseudoTerminal", "containerDefinitions[0].logConfiguration.secretOptions"})
    EXPECT_NE(std::find(notes.begin(), notes.end(), std::string(want) + ": accepted, ignored by ecsd"), notes.end())
        << want;
}

TEST(TaskDefinitionParser, NullMeansAbsent) {
  json j = minimal();
  j["containerDefinitions"][0]["command"] = nullptr;
  j["containerDefinitions"][0]["cpu"] = nullptr;
  j["networkMode"] = nullptr;
  auto t = parse_task_definition_json(j);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_FALSE(t->containers[0].command);
  EXPECT_EQ(t->network_mode, NetworkMode::bridge);
}

TEST(TaskDefinitionParser, ValidationRunsAfterParsing) {
  json j = minimal();
  j["containerDefinitions"][0]["memory"] = 256;
  j["containerDefinitions"][0]["memoryReservation"] = 512;
  EXPECT_EQ(error_of(j), "task definition: containerDefinitions[0].memoryReservation: 512 exceeds memory 256");
}

TEST(TaskDefinitionParser, EnvironmentFileTypes) {
  json j = minimal();
  j["containerDefinitions"][0]["environmentFiles"] = json::parse(R"([{"value": "x", "type": "ftp"}])");
  EXPECT_NE(error_of(j).find("environmentFiles[0].type: expected \"s3\" or \"file\""), std::string::npos);
}

}  // namespace
}  // namespace ecsd::task
