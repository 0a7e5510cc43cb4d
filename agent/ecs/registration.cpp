#include "agent/ecs/registration.h"

#include <unistd.h>

#include <random>

#include "common/file_util.h"

namespace ecsd::ecs {

std::string random_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int> d(0, 15);
  const char* hexd = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    int v = d(rng);
    if (i == 12) v = 4;
    if (i == 16) v = 8 + (v & 3);
    s += hexd[v];
  }
  return s;
}

Result<Resources> resources_from(std::string_view meminfo, long cores, const config::Config& cfg) {
  int64_t total_kib = -1;
  size_t pos = meminfo.find("MemTotal:");
  if (pos != std::string_view::npos) {
    std::string_view rest = trim(meminfo.substr(pos + 9, meminfo.find('\n', pos) - pos - 9));
    total_kib = 0;
    for (char c : rest) {
      if (c < '0' || c > '9') break;
      total_kib = total_kib * 10 + (c - '0');
    }
  }
  if (total_kib <= 0) return fail_invalid("/proc/meminfo: no MemTotal");
  if (cores <= 0) return fail_invalid("no CPU count");
  Resources r;
  r.cpu = cores * 1024;
  r.memory_mib = total_kib / 1024 - cfg.reserved_memory_mib;
  if (r.memory_mib <= 0)
    return fail_invalid("ECS_RESERVED_MEMORY=" + std::to_string(cfg.reserved_memory_mib) + " leaves no memory (" +
                        std::to_string(total_kib / 1024) + " MiB total)");
  r.ports = cfg.reserved_ports;
  r.ports_udp = cfg.reserved_ports_udp;
  return r;
}

Result<Resources> host_resources(const config::Config& cfg) {
  auto meminfo = read_file("/proc/meminfo");
  if (!meminfo) return fail(meminfo.error());
  return resources_from(*meminfo, sysconf(_SC_NPROCESSORS_ONLN), cfg);
}

std::vector<Attribute> instance_attributes(const config::Config& cfg) {
  std::vector<Attribute> a;
  auto cap = [&](std::string n) { a.push_back({std::move(n), std::nullopt}); };
  // Supported by the task model and engine: dependsOn, health checks.
  cap("ecs.capability.container-ordering");
  cap("ecs.capability.container-health-check");
  // Task-level cpu/memory become limits on the task cgroup (engine).
  cap("ecs.capability.task-cpu-mem-limit");
  if (!cfg.disable_privileged) cap("com.amazonaws.ecs.capability.privileged-container");
  // ECR pulls with the instance's credentials (ecr_credentials.h).
  cap("com.amazonaws.ecs.capability.ecr-auth");
  cap("ecs.capability.execution-role-ecr-pull");
  // repositoryCredentials from Secrets Manager (asm_credentials.h).
  cap("ecs.capability.private-registry-authentication.secretsmanager");
  // ACS containers carry dockerConfig in Docker Engine API form; ECS places
  // task definitions by the API versions an agent claims.
  for (int v = 17; v <= 32; ++v) cap("com.amazonaws.ecs.capability.docker-remote-api.1." + std::to_string(v));
  for (const auto& d : cfg.available_logging_drivers) cap("com.amazonaws.ecs.capability.logging-driver." + d);
  a.push_back({"ecs.os-type", "linux"});
  a.push_back({"ecs.os-family", "LINUX"});
  for (const auto& [k, v] : cfg.instance_attributes) a.push_back({k, v});
  return a;
}

nlohmann::json register_request_body(const RegistrationInput& in) {
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& at : in.attributes) {
    nlohmann::json o{{"name", at.name}};
    if (at.value) o["value"] = *at.value;
    attrs.push_back(o);
  }
  auto ports = [](const std::vector<uint16_t>& p) {
    nlohmann::json arr = nlohmann::json::array();
    for (auto x : p) arr.push_back(std::to_string(x));
    return arr;
  };
  nlohmann::json body{
      {"attributes", attrs},
      {"clientToken", in.client_token.empty() ? random_uuid() : in.client_token},
      {"cluster", in.cluster},
      {"instanceIdentityDocument", in.identity_document},
      {"instanceIdentityDocumentSignature", in.identity_signature},
      {"totalResources",
       nlohmann::json::array({
           {{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", in.resources.cpu}},
           {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", in.resources.memory_mib}},
           {{"name", "PORTS"}, {"type", "STRINGSET"}, {"stringSetValue", ports(in.resources.ports)}},
           {{"name", "PORTS_UDP"}, {"type", "STRINGSET"}, {"stringSetValue", ports(in.resources.ports_udp)}},
       })},
  };
  if (!in.existing_arn.empty()) body["containerInstanceArn"] = in.existing_arn;
  if (!in.tags.empty()) {
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& [k, v] : in.tags) tags.push_back({{"key", k}, {"value", v}});
    body["tags"] = tags;
  }
  return body;
}

ApiResult<Registration> register_container_instance(Client& client, RegistrationInput in) {
  if (in.client_token.empty()) in.client_token = random_uuid();
  auto body = register_request_body(in);
  auto r = client.call("RegisterContainerInstance", body);
  if (!r && r.error().type == "ClusterNotFoundException" && in.cluster == "default") {
    auto created = client.call("CreateCluster", {{"clusterName", "default"}});
    if (!created) return std::unexpected(created.error());
    r = client.call("RegisterContainerInstance", body);
  }
  if (!r) return std::unexpected(r.error());
  Registration reg;
  if (r->contains("containerInstance") && (*r)["containerInstance"].is_object()) {
    reg.container_instance = (*r)["containerInstance"];
    reg.container_instance_arn = reg.container_instance.value("containerInstanceArn", "");
  }
  if (reg.container_instance_arn.empty()) {
    ApiError e;
    e.operation = "RegisterContainerInstance";
    e.type = "InvalidResponse";
    e.message = "no containerInstance.containerInstanceArn in the response";
    e.attempts = 1;
    return std::unexpected(e);
  }
  return reg;
}

}  // namespace ecsd::ecs
