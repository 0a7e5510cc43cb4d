// /proc/sys helpers and the host-port probe (both act on the calling
// thread's network namespace).
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "netns/ports.h"

namespace ecsd::netns {

// "net/ipv4/conf/ecs-br0/route_localnet" -> writes value unless already equal.
Status write_sysctl(const std::string& key, const std::string& value);
Result<std::string> read_sysctl(const std::string& key);

// True when binding 0.0.0.0:port for the protocol fails with EADDRINUSE
// (a socket on the host holds it).
bool host_port_in_use(Protocol p, uint16_t port);

// A socket bound to 0.0.0.0:port (not listening) that keeps host processes
// from binding a port mapped to a task (what docker-proxy's listener does as a
// side effect). Traffic to the port is DNATed before it could reach it.
Result<UniqueFd> hold_host_port(Protocol p, uint16_t port);

}  // namespace ecsd::netns
