// Bridge networking for the task engine: the ECS configuration variables
// that shape netns::NetworkConfig, and the mapping of a task's portMappings
// onto netns port mappings. The engine's use of the Network object
// (admission, setup, teardown, recovery) is in task_network.cpp and
// engine_container.cpp; see docs/engine.md "Networking".
#pragma once

#include <string>
#include <vector>

#include "agent/task/model.h"
#include "common/error.h"
#include "netns/network.h"

namespace ecsd::engine {

// ECS_RESERVED_PORTS, ECS_RESERVED_PORTS_UDP (JSON arrays, "[22, 2375]") and
// ECS_DYNAMIC_HOST_PORT_RANGE ("49153-65535") from the environment into
// `net`; unset variables keep netns's defaults. Errors name the variable.
Status apply_network_env(netns::NetworkConfig& net);

// Whether a netns state directory holds state from an earlier run (then the
// engine opens the Network at start to remove what no live task owns).
bool network_state_exists(const netns::NetworkConfig& net);

}  // namespace ecsd::engine
