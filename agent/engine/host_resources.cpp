#include "agent/engine/host_resources.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ecsd::engine {

ResourceNeed& ResourceNeed::operator+=(const ResourceNeed& o) {
  cpu += o.cpu;
  memory_mib += o.memory_mib;
  ports.insert(o.ports.begin(), o.ports.end());
  return *this;
}

ResourceNeed& ResourceNeed::operator-=(const ResourceNeed& o) {
  if (&o == this) return *this = ResourceNeed{};
  cpu -= o.cpu;
  memory_mib -= o.memory_mib;
  for (const auto& p : o.ports) ports.erase(p);
  return *this;
}

ResourceNeed task_need(const task::Task& t) {
  ResourceNeed n;
  if (t.cpu_units) {
    n.cpu = *t.cpu_units;
  } else {
    for (const auto& c : t.containers) n.cpu += c.cpu;
  }
  if (t.memory_mib) {
    n.memory_mib = *t.memory_mib;
  } else {
    for (const auto& c : t.containers) n.memory_mib += c.memory_mib.value_or(c.memory_reservation_mib.value_or(0));
  }
  if (t.network_mode == task::NetworkMode::host)
    for (const auto& c : t.containers)
      for (const auto& p : c.port_mappings) {
        int port = static_cast<int>(p.host_port.value_or(p.container_port));
        if (port > 0) n.ports.insert({port, p.protocol});
      }
  if (t.network_mode == task::NetworkMode::bridge)  // static host ports (dynamic ones are netns's)
    for (const auto& c : t.containers)
      for (const auto& p : c.port_mappings)
        if (p.host_port.value_or(0) > 0 && p.container_port_range.empty())
          n.ports.insert({static_cast<int>(*p.host_port), p.protocol});
  return n;
}

Status fits_capacity(const ResourceNeed& need, const HostCapacity& cap) {
  if (need.cpu > cap.cpu)
    return fail_invalid("cpu: the task needs " + std::to_string(need.cpu) + " CPU units, this host has " +
                        std::to_string(cap.cpu));
  if (need.memory_mib > cap.memory_mib)
    return fail_invalid("memory: the task needs " + std::to_string(need.memory_mib) + " MiB, this host has " +
                        std::to_string(cap.memory_mib) + " MiB for tasks");
  for (const auto& p : need.ports)
    if (cap.reserved_ports.count(p))
      return fail_invalid("portMappings: host port " + std::to_string(p.first) + "/" + p.second + " is reserved");
  return {};
}

Status fits_now(const ResourceNeed& need, const ResourceNeed& used, const HostCapacity& cap) {
  ECSD_TRY(fits_capacity(need, cap));
  if (need.cpu + used.cpu > cap.cpu)
    return fail_invalid("cpu: " + std::to_string(need.cpu) + " CPU units needed, " +
                        std::to_string(cap.cpu - used.cpu) + " free");
  if (need.memory_mib + used.memory_mib > cap.memory_mib)
    return fail_invalid("memory: " + std::to_string(need.memory_mib) + " MiB needed, " +
                        std::to_string(cap.memory_mib - used.memory_mib) + " MiB free");
  for (const auto& p : need.ports)
    if (used.ports.count(p))
      return fail_invalid("portMappings: host port " + std::to_string(p.first) + "/" + p.second +
                          " is in use by another task");
  return {};
}

HostCapacity detect_host_capacity() {
  HostCapacity c;
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  c.cpu = (n > 0 ? n : 1) * 1024;
  std::ifstream mi("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (mi >> key >> kb >> unit)
    if (key == "MemTotal:") {
      c.memory_mib = kb / 1024;
      break;
    }
  if (const char* r = std::getenv("ECS_RESERVED_MEMORY"); r && *r) c.memory_mib -= std::atoll(r);
  std::string ports = "[22, 2375, 2376, 51678, 51679]";
  if (const char* r = std::getenv("ECS_RESERVED_PORTS"); r && *r) ports = r;
  std::string digits;
  for (char ch : ports + ",") {
    if (ch >= '0' && ch <= '9') {
      digits += ch;
    } else if (!digits.empty()) {
      c.reserved_ports.insert({std::atoi(digits.c_str()), "tcp"});
      digits.clear();
    }
  }
  if (const char* r = std::getenv("ECS_RESERVED_PORTS_UDP"); r && *r) {
    for (const auto& p : std::string(r) + ",") {
      if (p >= '0' && p <= '9') {
        digits += p;
      } else if (!digits.empty()) {
        c.reserved_ports.insert({std::atoi(digits.c_str()), "udp"});
        digits.clear();
      }
    }
  }
  return c;
}

}  // namespace ecsd::engine
