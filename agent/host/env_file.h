// /etc/ecs/ecs.config as systemd's EnvironmentFile= reads it: KEY=VALUE lines,
// '#' comments, optional surrounding quotes. A small reader for the host tools
// (doctor); the agent's full configuration lives in agent/config.
#pragma once

#include <map>
#include <string>

#include "common/error.h"

namespace ecsd::host {

using EnvMap = std::map<std::string, std::string>;

EnvMap parse_env_file(const std::string& text);
// The file (missing file: empty), then the process environment over it for
// every ECS_* / AWS_* / ECSD_* variable set there.
EnvMap effective_config(const std::string& path, char** environ_ptr);

}  // namespace ecsd::host
