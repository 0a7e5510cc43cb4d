// The host-level nftables table `ecsd prepare-host` installs before the agent
// starts (pure text generation; agent/host/prepare.h applies it).
//
// It holds only what the host needs while the agent is stopped or restarting,
// mirroring what ecs-init does with iptables for the Go agent:
//   - 169.254.170.2:80 (the task metadata / credentials endpoint) DNATed to
//     the agent's local port, from the task bridge and from the host itself;
//   - the localhost traffic filter: packets from other interfaces may not
//     reach the agent's 127.0.0.0/8 ports (route_localnet makes that
//     possible otherwise) unless they were DNATed to them.
// The table is ecsd's own ("ip ecsd_host" by default): nothing else on the
// host is read or changed, and cleanup deletes exactly this table. netns/
// keeps its own table ("ip ecsd") for per-task port mappings; both may carry
// the same metadata DNAT, which is harmless (the first nat chain wins).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ecsd::host {

struct HostRulesSpec {
  std::string table = "ecsd_host";
  std::string bridge = "ecs-br0";          // the task bridge (netns/ creates it)
  std::string metadata_ip = "169.254.170.2";
  uint16_t metadata_port = 80;
  std::string agent_ip = "127.0.0.1";
  uint16_t agent_port = 51679;             // credentials / task metadata endpoint
  // Localhost ports other hosts must not reach (51678: introspection, unless
  // ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS=true; 51679: credentials).
  std::vector<uint16_t> protected_ports{51678, 51679};
};

// Validates names and addresses (nft injection, bad values). Empty when fine,
// else what is wrong.
std::string validate(const HostRulesSpec& spec);

// One transaction that (re)creates the table; applying it twice gives the same table.
std::string host_table_script(const HostRulesSpec& spec);
// Deletes the table if present (no error when absent).
std::string delete_host_table_script(const std::string& table);

}  // namespace ecsd::host
