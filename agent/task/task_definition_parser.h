// RegisterTaskDefinition JSON (what users write, and what
// `aws ecs describe-task-definition` prints: {"taskDefinition": {...}, "tags": [...]})
// -> Task. Strict: wrong types and unknown fields are errors naming the field
// ("containerDefinitions[0].cpu: expected an integer, got string \"256\"");
// every field of the ECS API model is accepted, and the ones ecsd does not act
// on are listed in `notes` (see docs/task-model.md). The result is validated
// (validate.h) before it is returned.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "agent/task/model.h"

namespace ecsd::task {

Result<Task> parse_task_definition(std::string_view json_text, std::vector<std::string>* notes = nullptr);
Result<Task> parse_task_definition_json(const nlohmann::json& j, std::vector<std::string>* notes = nullptr);

}  // namespace ecsd::task
