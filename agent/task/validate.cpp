#include "agent/task/validate.h"

#include <set>

#include "agent/task/dependencies.h"

namespace ecsd::task {

bool valid_ulimit_name(std::string_view name) {
  static const std::set<std::string_view> names = {"core",   "cpu",   "data",   "fsize",      "locks",
                                                   "memlock", "msgqueue", "nice", "nofile",     "nproc",
                                                   "rss",    "rtprio", "rttime", "sigpending", "stack"};
  return names.contains(name);
}

namespace {

struct Problems {
  std::vector<std::string> list;
  void add(std::string s) { list.push_back(std::move(s)); }
};

std::string num(int64_t v) { return std::to_string(v); }

void check_range(Problems& p, const std::string& path, int64_t v, int64_t lo, int64_t hi, const char* unit) {
  if (v < lo || v > hi)
    p.add(path + ": " + num(v) + " is outside " + num(lo) + ".." + num(hi) + (unit[0] ? " " : "") + unit);
}

bool absolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

void check_container(Problems& p, const Task& task, const ContainerModel& c, const std::string& at,
                     const std::string& containers_field) {
  if (!valid_name(c.name))
    p.add(at + ".name: \"" + c.name + "\" is not a valid container name (1-255 letters, digits, _ or -)");
  if (c.image.empty()) p.add(at + ".image: required");
  if (c.cpu < 0) p.add(at + ".cpu: must not be negative, got " + num(c.cpu));

  if (c.memory_mib && *c.memory_mib <= 0) p.add(at + ".memory: must be positive, got " + num(*c.memory_mib));
  if (c.memory_reservation_mib && *c.memory_reservation_mib <= 0)
    p.add(at + ".memoryReservation: must be positive, got " + num(*c.memory_reservation_mib));
  if (c.memory_mib && c.memory_reservation_mib && *c.memory_reservation_mib > *c.memory_mib)
    p.add(at + ".memoryReservation: " + num(*c.memory_reservation_mib) + " exceeds memory " + num(*c.memory_mib));
  if (!c.memory_mib && !c.memory_reservation_mib && !task.memory_mib)
    p.add(at + ": memory or memoryReservation is required when the task has no task-level memory");
  if (task.memory_mib && c.memory_mib && *c.memory_mib > *task.memory_mib)
    p.add(at + ".memory: " + num(*c.memory_mib) + " exceeds the task memory " + num(*task.memory_mib));
  if (task.memory_mib && c.memory_reservation_mib && *c.memory_reservation_mib > *task.memory_mib)
    p.add(at + ".memoryReservation: " + num(*c.memory_reservation_mib) + " exceeds the task memory " +
          num(*task.memory_mib));

  for (size_t i = 0; i < c.environment.size(); ++i)
    if (c.environment[i].name.empty()) p.add(at + ".environment[" + num(i) + "].name: required");

  for (size_t i = 0; i < c.depends_on.size(); ++i) {
    const auto& d = c.depends_on[i];
    std::string dp = at + ".dependsOn[" + num(i) + "]";
    const ContainerModel* target = task.find_container(d.container_name);
    if (d.container_name == c.name)
      p.add(dp + ".containerName: a container cannot depend on itself");
    else if (!target)
      p.add(dp + ".containerName: no container named \"" + d.container_name + "\" in " + containers_field);
    else if (d.condition == DependencyCondition::healthy && !target->health_check)
      p.add(dp + ".condition: HEALTHY needs a healthCheck on container " + d.container_name);
  }

  for (size_t i = 0; i < c.mount_points.size(); ++i) {
    const auto& m = c.mount_points[i];
    std::string mp = at + ".mountPoints[" + num(i) + "]";
    if (!task.find_volume(m.source_volume))
      p.add(mp + ".sourceVolume: no volume named \"" + m.source_volume + "\" in volumes");
    if (!absolute(m.container_path)) p.add(mp + ".containerPath: must be an absolute path, got \"" + m.container_path + "\"");
  }
  for (size_t i = 0; i < c.volumes_from.size(); ++i) {
    const auto& v = c.volumes_from[i];
    std::string vp = at + ".volumesFrom[" + num(i) + "].sourceContainer";
    if (v.source_container == c.name)
      p.add(vp + ": a container cannot take volumes from itself");
    else if (!task.find_container(v.source_container))
      p.add(vp + ": no container named \"" + v.source_container + "\" in " + containers_field);
  }

  for (size_t i = 0; i < c.ulimits.size(); ++i) {
    const auto& u = c.ulimits[i];
    std::string up = at + ".ulimits[" + num(i) + "]";
    if (!valid_ulimit_name(u.name)) p.add(up + ".name: unknown ulimit \"" + u.name + "\"");
    if (u.soft < 0 && u.soft != -1) p.add(up + ".softLimit: must not be negative");
    if (u.hard < 0 && u.hard != -1) p.add(up + ".hardLimit: must not be negative");
    if (u.hard != -1 && (u.soft == -1 || u.soft > u.hard))
      p.add(up + ".softLimit: " + num(u.soft) + " exceeds hardLimit " + num(u.hard));
  }

  if (c.health_check) {
    const auto& h = *c.health_check;
    std::string hp = at + ".healthCheck";
    if (h.command.empty() || (h.command[0] != "CMD" && h.command[0] != "CMD-SHELL"))
      p.add(hp + ".command: must start with \"CMD\" or \"CMD-SHELL\"");
    else if (h.command.size() < 2)
      p.add(hp + ".command: nothing to run after \"" + h.command[0] + "\"");
    check_range(p, hp + ".interval", h.interval_s, kHealthIntervalMin, kHealthIntervalMax, "seconds");
    check_range(p, hp + ".timeout", h.timeout_s, kHealthTimeoutMin, kHealthTimeoutMax, "seconds");
    check_range(p, hp + ".retries", h.retries, kHealthRetriesMin, kHealthRetriesMax, "");
    check_range(p, hp + ".startPeriod", h.start_period_s, kHealthStartPeriodMin, kHealthStartPeriodMax, "seconds");
  }
  if (c.stop_timeout_s && *c.stop_timeout_s < 0) p.add(at + ".stopTimeout: must not be negative");
  if (c.start_timeout_s && *c.start_timeout_s < 0) p.add(at + ".startTimeout: must not be negative");

  const auto& lp = c.linux_parameters;
  std::string lpp = at + ".linuxParameters";
  if (lp.shared_memory_size_mib && *lp.shared_memory_size_mib <= 0)
    p.add(lpp + ".sharedMemorySize: must be positive, got " + num(*lp.shared_memory_size_mib));
  for (size_t i = 0; i < lp.tmpfs.size(); ++i) {
    std::string tp = lpp + ".tmpfs[" + num(i) + "]";
    if (!absolute(lp.tmpfs[i].container_path)) p.add(tp + ".containerPath: must be an absolute path");
    if (lp.tmpfs[i].size_mib <= 0) p.add(tp + ".size: must be positive, got " + num(lp.tmpfs[i].size_mib));
  }
  for (size_t i = 0; i < lp.devices.size(); ++i) {
    std::string dp = lpp + ".devices[" + num(i) + "]";
    if (!absolute(lp.devices[i].host_path)) p.add(dp + ".hostPath: must be an absolute path");
    if (!lp.devices[i].container_path.empty() && !absolute(lp.devices[i].container_path))
      p.add(dp + ".containerPath: must be an absolute path");
  }
  if (lp.max_swap_mib && *lp.max_swap_mib < 0) p.add(lpp + ".maxSwap: must not be negative");
  if (lp.swappiness) check_range(p, lpp + ".swappiness", *lp.swappiness, 0, 100, "");

  if (c.log_configuration.driver.empty()) p.add(at + ".logConfiguration.logDriver: required");
  for (size_t i = 0; i < c.port_mappings.size(); ++i) {
    const auto& pm = c.port_mappings[i];
    std::string pp = at + ".portMappings[" + num(i) + "]";
    if (pm.container_port < 0 || pm.container_port > 65535) p.add(pp + ".containerPort: outside 0..65535");
    if (pm.host_port && (*pm.host_port < 0 || *pm.host_port > 65535)) p.add(pp + ".hostPort: outside 0..65535");
  }
  for (size_t i = 0; i < c.extra_hosts.size(); ++i) {
    if (c.extra_hosts[i].hostname.empty()) p.add(at + ".extraHosts[" + num(i) + "].hostname: required");
    if (c.extra_hosts[i].ip_address.empty()) p.add(at + ".extraHosts[" + num(i) + "].ipAddress: required");
  }
}

}  // namespace

Status validate_task(const Task& task, std::string_view containers_field_view) {
  Problems p;
  const std::string cf(containers_field_view);
  if (!task.family.empty() && !valid_name(task.family))
    p.add("family: \"" + task.family + "\" is not a valid family (1-255 letters, digits, _ or -)");
  if (task.containers.empty()) p.add(cf + ": at least one container is required");
  if (task.cpu_units && *task.cpu_units <= 0) p.add("cpu: must be positive");
  if (task.memory_mib && *task.memory_mib <= 0) p.add("memory: must be positive");

  std::set<std::string> names;
  bool any_essential = false;
  int64_t cpu_total = 0;
  for (size_t i = 0; i < task.containers.size(); ++i) {
    const auto& c = task.containers[i];
    std::string at = cf + "[" + num(i) + "]";
    if (!names.insert(c.name).second) p.add(at + ".name: duplicate container name \"" + c.name + "\"");
    if (c.essential) any_essential = true;
    cpu_total += c.cpu;
    check_container(p, task, c, at, cf);
  }
  if (!task.containers.empty() && !any_essential) p.add(cf + ": at least one container must be essential");
  if (task.cpu_units && cpu_total > *task.cpu_units)
    p.add(cf + ": the containers' cpu total " + num(cpu_total) + " exceeds the task cpu " + num(*task.cpu_units));

  std::set<std::string> vnames;
  for (size_t i = 0; i < task.volumes.size(); ++i) {
    const auto& v = task.volumes[i];
    std::string vp = "volumes[" + num(i) + "]";
    if (!valid_name(v.name)) p.add(vp + ".name: \"" + v.name + "\" is not a valid volume name");
    if (!vnames.insert(v.name).second) p.add(vp + ".name: duplicate volume name \"" + v.name + "\"");
    if (v.kind == VolumeKind::host && !absolute(v.source_path))
      p.add(vp + ".host.sourcePath: must be an absolute path, got \"" + v.source_path + "\"");
    if (v.kind == VolumeKind::docker && v.docker.autoprovision && v.docker.scope != "shared")
      p.add(vp + ".dockerVolumeConfiguration.autoprovision: only valid with scope \"shared\"");
  }

  // A self-dependency is already reported above; only look for longer cycles.
  auto cycle = find_dependency_cycle(task);
  if (cycle.size() > 2) {
    std::string s;
    for (size_t i = 0; i < cycle.size(); ++i) s += (i ? " -> " : "") + cycle[i];
    size_t first = 0;
    for (size_t i = 0; i < task.containers.size(); ++i)
      if (task.containers[i].name == cycle.front()) first = i;
    p.add(cf + "[" + num(first) + "].dependsOn: dependency cycle " + s);
  }

  if (p.list.empty()) return {};
  std::string msg;
  for (size_t i = 0; i < p.list.size(); ++i) msg += (i ? "; " : "") + p.list[i];
  return fail_invalid(msg);
}

}  // namespace ecsd::task
