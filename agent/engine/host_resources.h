// Host resource accounting before a task starts (pure): CPU units, memory
// (MiB) and host ports a task needs, against what the host has and what the
// tasks already admitted hold. A task that can never fit is rejected at
// submit; one that does not fit now waits (PENDING) until others stop.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "agent/task/model.h"
#include "common/error.h"

namespace ecsd::engine {

struct ResourceNeed {
  int64_t cpu = 0;         // CPU units
  int64_t memory_mib = 0;
  std::set<std::pair<int, std::string>> ports;  // (host port, "tcp"/"udp"): host mode, bridge static hostPorts
  ResourceNeed& operator+=(const ResourceNeed& o);
  ResourceNeed& operator-=(const ResourceNeed& o);
};

struct HostCapacity {
  int64_t cpu = 0;         // nproc * 1024
  int64_t memory_mib = 0;  // MemTotal - ECS_RESERVED_MEMORY
  std::set<std::pair<int, std::string>> reserved_ports;  // ECS_RESERVED_PORTS (tcp), ECS_RESERVED_PORTS_UDP (udp)
};

// Task-level cpu/memory when given, else the sum over containers (memory:
// hard limit, else reservation). Ports only in host network mode.
ResourceNeed task_need(const task::Task& t);
// Whether `need` could ever fit (against the capacity alone): error naming the resource.
Status fits_capacity(const ResourceNeed& need, const HostCapacity& cap);
// Whether it fits now, given what is in use: error naming what is short.
Status fits_now(const ResourceNeed& need, const ResourceNeed& used, const HostCapacity& cap);
// This host: nproc, /proc/meminfo, ECS_RESERVED_MEMORY, ECS_RESERVED_PORTS(_UDP).
HostCapacity detect_host_capacity();

}  // namespace ecsd::engine
