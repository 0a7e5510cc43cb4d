// Semantic checks on a parsed task, as ECS applies them at registration (and
// a few more that keep the engine honest). Every problem is reported, joined
// with "; ", each naming its field:
//   "containerDefinitions[1].memoryReservation: 512 exceeds memory 256"
//   "containerDefinitions[0].dependsOn: dependency cycle a -> b -> a"
// Network modes and volume types are not judged here: the engine decides
// what it supports and says so.
#pragma once

#include <string_view>

#include "agent/task/model.h"

namespace ecsd::task {

// containers_field names the container array in messages:
// "containerDefinitions" for task definitions, "containers" for ACS tasks.
Status validate_task(const Task& task, std::string_view containers_field = "containerDefinitions");

// Docker ulimit names: core, cpu, data, fsize, locks, memlock, msgqueue, nice,
// nofile, nproc, rss, rtprio, rttime, sigpending, stack.
bool valid_ulimit_name(std::string_view name);

// ECS limits for container health checks.
inline constexpr int64_t kHealthIntervalMin = 5, kHealthIntervalMax = 300;
inline constexpr int64_t kHealthTimeoutMin = 2, kHealthTimeoutMax = 60;
inline constexpr int64_t kHealthRetriesMin = 1, kHealthRetriesMax = 10;
inline constexpr int64_t kHealthStartPeriodMin = 0, kHealthStartPeriodMax = 300;

}  // namespace ecsd::task
