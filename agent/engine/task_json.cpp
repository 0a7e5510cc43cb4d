#include "agent/engine/task_json.h"

#include <ctime>

namespace ecsd::engine {

std::string format_time_ms(int64_t ms) {
  if (ms <= 0) return "";
  time_t s = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

namespace {
nlohmann::json bindings(const std::vector<NetworkBinding>& b) {
  auto a = nlohmann::json::array();
  for (const auto& x : b)
    a.push_back({{"bindIP", x.bind_ip}, {"containerPort", x.container_port}, {"hostPort", x.host_port},
                 {"protocol", x.protocol}});
  return a;
}
}  // namespace

nlohmann::json task_to_json(const TaskRecord& t, const std::string& waiting_reason) {
  nlohmann::json j;
  j["id"] = t.id;
  if (!t.arn.empty()) j["taskArn"] = t.arn;
  j["family"] = t.model.family;
  if (!t.model.revision.empty()) j["revision"] = t.model.revision;
  j["source"] = std::string(to_string(t.source));
  j["lastStatus"] = std::string(task::to_string(t.known));
  j["desiredStatus"] = std::string(task::to_string(t.desired));
  j["networkMode"] = std::string(task::to_string(t.model.network_mode));
  if (t.model.cpu_units) j["cpu"] = *t.model.cpu_units;
  if (t.model.memory_mib) j["memory"] = *t.model.memory_mib;
  if (!t.stopped_reason.empty()) j["stoppedReason"] = t.stopped_reason;
  if (!waiting_reason.empty()) j["waitingReason"] = waiting_reason;
  j["createdAt"] = format_time_ms(t.created_at_ms);
  if (t.started_at_ms) j["startedAt"] = format_time_ms(t.started_at_ms);
  if (t.stopping_at_ms) j["stoppingAt"] = format_time_ms(t.stopping_at_ms);
  if (t.stopped_at_ms) j["stoppedAt"] = format_time_ms(t.stopped_at_ms);
  auto cs = nlohmann::json::array();
  for (const auto& c : t.containers) {
    nlohmann::json x;
    x["name"] = c.name;
    x["runtimeId"] = c.runtime_id;
    const auto* m = t.model.find_container(c.name);
    if (m) x["image"] = m->image;
    if (!c.image_digest.empty()) x["imageDigest"] = c.image_digest;
    x["lastStatus"] = std::string(task::to_string(c.known));
    x["desiredStatus"] = std::string(task::to_string(c.desired));
    x["essential"] = c.essential;
    if (c.exit_code) x["exitCode"] = *c.exit_code;
    if (!c.reason.empty()) x["reason"] = c.reason;
    if (m && m->health_check) {
      nlohmann::json h;
      h["status"] = std::string(task::to_string(c.health));
      if (c.health_exit_code) h["lastExitCode"] = *c.health_exit_code;
      if (c.health_at_ms) h["lastCheckAt"] = format_time_ms(c.health_at_ms);
      h["lastOutput"] = c.health_output;
      x["health"] = h;
    }
    if (c.pid) x["pid"] = c.pid;
    if (c.shim_pid) x["shimPid"] = c.shim_pid;
    if (c.started_at_ms) x["startedAt"] = format_time_ms(c.started_at_ms);
    if (c.finished_at_ms) x["finishedAt"] = format_time_ms(c.finished_at_ms);
    x["networkBindings"] = bindings(c.bindings);
    cs.push_back(std::move(x));
  }
  j["containers"] = cs;
  return j;
}

nlohmann::json event_to_json(const StateChange& e) {
  nlohmann::json j = {{"seq", e.seq}, {"at", format_time_ms(e.at_ms)}, {"task", e.task_id}, {"status", e.status}};
  if (!e.task_arn.empty()) j["taskArn"] = e.task_arn;
  if (!e.container.empty()) j["container"] = e.container;
  if (!e.health.empty()) j["health"] = e.health;
  if (e.exit_code) j["exitCode"] = *e.exit_code;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.bindings.empty()) j["networkBindings"] = bindings(e.bindings);
  return j;
}

StateChange event_from_json(const nlohmann::json& j) {
  StateChange e;
  e.seq = j.value("seq", uint64_t{0});
  e.task_id = j.value("task", "");
  e.task_arn = j.value("taskArn", "");
  e.container = j.value("container", "");
  e.status = j.value("status", "");
  e.health = j.value("health", "");
  e.reason = j.value("reason", "");
  if (j.contains("exitCode")) e.exit_code = j["exitCode"].get<int>();
  return e;
}

}  // namespace ecsd::engine
