// JSON views of engine records, shared by the daemon (server.h) and the CLI:
// the shape `ecsd inspect` prints and `ecsd ps` reads.
#pragma once

#include <nlohmann/json.hpp>

#include "agent/engine/records.h"

namespace ecsd::engine {

nlohmann::json task_to_json(const TaskRecord& t, const std::string& waiting_reason = "");
nlohmann::json event_to_json(const StateChange& e);
StateChange event_from_json(const nlohmann::json& j);
// RFC 3339 UTC with milliseconds; "" for 0.
std::string format_time_ms(int64_t ms);

}  // namespace ecsd::engine
