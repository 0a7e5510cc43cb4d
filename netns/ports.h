// Port mappings: the request shape, the bindings reported back, and the pure
// host-port assignment (static and dynamic, ranges, reserved and busy ports).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::netns {

enum class Protocol { tcp, udp };
const char* protocol_name(Protocol p);
Result<Protocol> parse_protocol(std::string_view s);

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive
  bool contains(uint16_t p) const { return p >= first && p <= last; }
};
// "49153-65535" (the ECS_DYNAMIC_HOST_PORT_RANGE format).
Result<PortRange> parse_port_range(std::string_view s);
// "[22, 2375, 2376]" or "22,2375,2376" (the ECS_RESERVED_PORTS format).
Result<std::vector<uint16_t>> parse_port_list(std::string_view s);

struct PortMapping {
  uint16_t container_port = 0;
  // Non-zero: the inclusive container port range container_port..container_port_end
  // (containerPortRange). Host ports are then dynamic and contiguous.
  uint16_t container_port_end = 0;
  uint16_t host_port = 0;  // 0: dynamic, from the configured range
  Protocol protocol = Protocol::tcp;
};

struct PortBinding {
  std::string bind_ip = "0.0.0.0";
  uint16_t container_port = 0;
  uint16_t host_port = 0;
  Protocol protocol = Protocol::tcp;
  bool operator==(const PortBinding&) const = default;
};

struct PortAllocator {
  PortRange dynamic{49153, 65535};
  std::vector<uint16_t> reserved;      // tcp (ECS_RESERVED_PORTS)
  std::vector<uint16_t> reserved_udp;  // udp (ECS_RESERVED_PORTS_UDP)
  // Name of the task that already holds this host port, or "" when none does.
  std::function<std::string(Protocol, uint16_t)> owner;
  // True when a socket on the host holds the port (checked by binding).
  std::function<bool(Protocol, uint16_t)> in_use;
  // Where the dynamic search starts (rotates so freed ports rest a while).
  uint16_t cursor = 0;
};

// Checks the shape of the mappings (ports non-zero, ranges ordered, host
// mode rules) and assigns every host port, or fails naming the first
// conflict. Changes nothing but `alloc.cursor`.
Result<std::vector<PortBinding>> assign_host_ports(const std::vector<PortMapping>& mappings,
                                                   bool host_mode, PortAllocator& alloc);

}  // namespace ecsd::netns
