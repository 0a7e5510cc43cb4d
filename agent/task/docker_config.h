// Docker Engine API container config / hostConfig (the JSON strings an ACS
// task carries in dockerConfig.config and dockerConfig.hostConfig) applied
// onto a ContainerModel, converting Docker units to the model's:
// bytes -> MiB (MemoryReservation, Memory, MemorySwap, ShmSize, Tmpfs size=),
// nanoseconds -> seconds (Healthcheck), "host:ip" -> HostEntry,
// "rwm" -> read/write/mknod. Values present here override the typed ACS
// fields, as the Go agent unmarshals them over the config it built.
// Fields ecsd does not act on, and unknown ones, become notes, not errors:
// the control plane, not a user, wrote them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/task/model.h"

namespace ecsd::task {

// `path` prefixes errors and notes: "containers[0].dockerConfig.config".
Status apply_docker_config(std::string_view config_json, std::string_view path, ContainerModel& c,
                           std::vector<std::string>* notes);
Status apply_docker_host_config(std::string_view host_config_json, std::string_view path, ContainerModel& c,
                                std::vector<std::string>* notes);

// Docker size strings as in --tmpfs size= / --shm-size: "65536k", "64m", "1g",
// "1048576" (bytes). Returns bytes.
Result<int64_t> parse_docker_size(std::string_view s);

}  // namespace ecsd::task
