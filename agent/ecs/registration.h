// RegisterContainerInstance as the Go agent sends it (see
// tests/fixtures/controlplane/reference/go-agent-v1.72-register-request.json):
// the instance identity document and its signature, totalResources
// (CPU = cores*1024, MEMORY = MiB less ECS_RESERVED_MEMORY, PORTS, PORTS_UDP),
// capability attributes for what ecsd supports, ECS_INSTANCE_ATTRIBUTES,
// ECS_CONTAINER_INSTANCE_TAGS, and containerInstanceArn when re-registering.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/config/config.h"
#include "agent/ecs/client.h"
#include "common/error.h"

namespace ecsd::ecs {

struct Attribute {
  std::string name;
  std::optional<std::string> value;
};

struct Resources {
  int64_t cpu = 0;         // CPU units: cores * 1024
  int64_t memory_mib = 0;  // MemTotal in MiB less ECS_RESERVED_MEMORY
  std::vector<uint16_t> ports, ports_udp;
};

// This host's resources (/proc/meminfo, sysconf) with the config's reservations.
Result<Resources> host_resources(const config::Config& cfg);
// Pure: from a /proc/meminfo text and a core count.
Result<Resources> resources_from(std::string_view meminfo, long cores, const config::Config& cfg);

// The capability attributes ecsd claims (names as the Go agent spells them),
// ecs.os-type / ecs.os-family, then ECS_INSTANCE_ATTRIBUTES.
std::vector<Attribute> instance_attributes(const config::Config& cfg);

struct RegistrationInput {
  std::string cluster;
  std::string identity_document;
  std::string identity_signature;
  Resources resources;
  std::vector<Attribute> attributes;
  std::map<std::string, std::string> tags;
  std::string existing_arn;  // re-registration
  std::string client_token;  // idempotency; "" = a new random one
};

nlohmann::json register_request_body(const RegistrationInput& in);

struct Registration {
  std::string container_instance_arn;
  nlohmann::json container_instance;  // the response's containerInstance
};

// Registers (creating the cluster first when it is "default" and missing, as
// the Go agent does). A terminal error (not retryable) means the process
// should exit with kExitTerminal.
ApiResult<Registration> register_container_instance(Client& client, RegistrationInput in);

// The Go agent's exit code for errors a restart will not fix (systemd unit:
// RestartPreventExitStatus=5).
inline constexpr int kExitTerminal = 5;

std::string random_uuid();

}  // namespace ecsd::ecs
