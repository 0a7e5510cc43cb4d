// nftables rule text for ecsd's own table (pure). Everything ecsd adds lives
// in one table (family ip); nothing else on the host is touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netns/state.h"

namespace ecsd::netns {

struct TableSpec {
  std::string table = "ecsd";
  std::string bridge = "ecs-br0";
  std::string subnet = "172.17.0.0/16";
  std::string metadata_ip = "169.254.170.2";
  uint16_t metadata_port = 80;
  std::string agent_ip = "127.0.0.1";
  uint16_t agent_port = 51679;
  bool agent_endpoint_from_host = true;
  std::vector<uint16_t> agent_local_ports;
};

// One transaction that replaces the whole table (creating it if absent) with
// the chains and the DNAT maps holding every binding of the bridge tasks in
// `st`. Applying it twice gives the same table.
std::string table_script(const TableSpec& spec, const State& st);
// Removes the table if present.
std::string delete_table_script(const std::string& table);
// Adds / removes the DNAT map elements of one bridge task.
std::string add_bindings_script(const std::string& table, uint32_t task_ip,
                                const std::vector<PortBinding>& bindings);
std::string delete_bindings_script(const std::string& table, const std::vector<PortBinding>& bindings);

}  // namespace ecsd::netns
