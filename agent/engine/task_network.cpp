// Bridge-mode admission for the task engine: static host ports checked
// against the tasks already admitted (a conflict fails the task at once,
// with the reason, before anything is set up), then the task's network
// namespace set up before its first image is pulled (any netns error, e.g. a
// host port held by another process, fails the task the same way).
#include "agent/engine/task_network.h"

#include <sys/stat.h>

#include <cstdlib>

#include "agent/engine/engine_impl.h"
#include "agent/task/state.h"

namespace ecsd::engine {

Status apply_network_env(netns::NetworkConfig& net) {
  if (const char* v = std::getenv("ECS_RESERVED_PORTS"); v && *v) {
    auto p = netns::parse_port_list(v);
    if (!p) return fail(p.error().with_context("ECS_RESERVED_PORTS"));
    net.reserved_ports = *p;
  }
  if (const char* v = std::getenv("ECS_RESERVED_PORTS_UDP"); v && *v) {
    auto p = netns::parse_port_list(v);
    if (!p) return fail(p.error().with_context("ECS_RESERVED_PORTS_UDP"));
    net.reserved_ports_udp = *p;
  }
  if (const char* v = std::getenv("ECS_DYNAMIC_HOST_PORT_RANGE"); v && *v) {
    auto r = netns::parse_port_range(v);
    if (!r) return fail(r.error().with_context("ECS_DYNAMIC_HOST_PORT_RANGE"));
    net.dynamic_ports = *r;
  }
  return {};
}

bool network_state_exists(const netns::NetworkConfig& net) {
  struct stat st{};
  return ::stat((net.state_dir + "/state").c_str(), &st) == 0;
}

void Engine::Impl::fail_before_start(TaskRecord& t, const std::string& reason, std::vector<StateChange>& ev) {
  t.desired = task::TaskStatus::stopped;
  if (t.stopping_at_ms == 0) t.stopping_at_ms = now_ms();
  if (t.stopped_reason.empty()) t.stopped_reason = reason;
  for (auto& c : t.containers)
    if (c.known != task::ContainerStatus::stopped && !pulling.count(c.runtime_id)) set_stopped(t, c, std::nullopt, reason, ev);
}

void Engine::Impl::check_bridge_ports(TaskRecord& t, std::vector<StateChange>& ev) {
  if (t.model.network_mode != task::NetworkMode::bridge) return;
  auto need = task_need(t.model);
  for (const auto& port : need.ports) {
    if (!used.ports.count(port)) continue;
    std::string owner;
    for (const auto& id : admitted)
      if (auto it = tasks.find(id); it != tasks.end() && task_need(it->second.model).ports.count(port)) owner = id;
    std::string container;
    for (const auto& c : t.model.containers)
      for (const auto& p : c.port_mappings)
        if (p.host_port.value_or(0) == port.first && p.protocol == port.second) container = c.name;
    fail_before_start(t,
                      task::cannot_start_reason("portMappings of container " + container + ": host port " +
                                                std::to_string(port.first) + "/" + port.second +
                                                " is already in use by task " + (owner.empty() ? "?" : owner)),
                      ev);
    return;
  }
}

void Engine::Impl::setup_bridge(TaskRecord& t, std::vector<StateChange>& ev) {
  if (t.model.network_mode != task::NetworkMode::bridge || !admitted.count(t.id)) return;
  if (auto tn = task_network(t); !tn) {
    admitted.erase(t.id);
    used -= task_need(t.model);
    fail_before_start(t, task::cannot_start_reason(tn.error().message), ev);
  }
}

}  // namespace ecsd::engine
