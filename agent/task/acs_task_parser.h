// An ACS PayloadMessage task (see ../shared/reference/acs-payload-example.json
// and ecs-agent-models/acs-api-2.json) -> Task. Typed container fields first,
// then dockerConfig.config / dockerConfig.hostConfig (docker_config.h) over
// them, then the container's overrides ({"command": [...]}). Wrong types are
// errors naming the field ("containers[1].cpu: expected an integer");
// unknown and ignored fields are notes, because the control plane adds
// fields over time. The result is validated (validate.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "agent/task/model.h"

namespace ecsd::task {

Result<Task> parse_acs_task(std::string_view json_text, std::vector<std::string>* notes = nullptr);
Result<Task> parse_acs_task_json(const nlohmann::json& j, std::vector<std::string>* notes = nullptr);

}  // namespace ecsd::task
