// What ecsd has set up, persisted in the state directory so that a restart
// never hands out an address or host port still in use and can find what to
// tear down. The text format and the address allocator are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "netns/ipv4.h"
#include "netns/ports.h"

namespace ecsd::netns {

struct TaskRecord {
  std::string id;
  std::string mode;       // "bridge" | "host" | "none"
  uint32_t ip = 0;        // bridge mode; 0 otherwise
  std::string host_veth;  // bridge mode; "" otherwise
  std::vector<PortBinding> bindings;
};

struct State {
  std::string subnet;      // "" until chosen
  uint32_t ip_cursor = 0;  // last address handed out
  uint16_t port_cursor = 0;
  std::vector<TaskRecord> tasks;

  TaskRecord* find(std::string_view id);
  bool erase(std::string_view id);
  // The task holding this host port, or "".
  std::string port_owner(Protocol p, uint16_t port) const;
};

std::string format_state(const State& st);
Result<State> parse_state(std::string_view text);

// IPAM: the next address after st.ip_cursor (round the subnet) that is not
// the network, gateway or broadcast address and no task holds. Updates the cursor.
Result<uint32_t> allocate_ip(const Cidr& subnet, State& st);

// Task ids name files and netns: 1..128 of [A-Za-z0-9_.-], not "." or "..".
Status validate_task_id(std::string_view id);
// Host veth name: prefix + 8 hex digits of a hash of (bridge, id); <= 15 chars.
std::string host_veth_name(std::string_view prefix, std::string_view bridge, std::string_view id);

}  // namespace ecsd::netns
