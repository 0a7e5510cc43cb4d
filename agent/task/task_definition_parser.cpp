#include "agent/task/task_definition_parser.h"

#include "agent/task/json_fields.h"
#include "agent/task/parse_common.h"
#include "agent/task/validate.h"

namespace ecsd::task {

namespace {

Status parse_health_check(Fields& f, std::optional<HealthCheck>& out, const ParseContext& ctx) {
  return f.object("healthCheck", [&](Fields& h) -> Status {
    HealthCheck hc;  // ECS defaults: 30 s, 5 s, 3, 0 s
    if (!h.has("command")) return fail_invalid(h.path_of("command") + ": required");
    ECSD_TRY(h.str_list("command", hc.command));
    ECSD_TRY(h.integer("interval", hc.interval_s));
    ECSD_TRY(h.integer("timeout", hc.timeout_s));
    ECSD_TRY(h.integer("retries", hc.retries));
    ECSD_TRY(h.integer("startPeriod", hc.start_period_s));
    ECSD_TRY(finish_fields(h, ctx));
    out = std::move(hc);
    return {};
  });
}

Status parse_container(Fields& f, ContainerModel& c, const ParseContext& ctx) {
  if (!f.has("name")) return fail_invalid(f.path_of("name") + ": required");
  if (!f.has("image")) return fail_invalid(f.path_of("image") + ": required");
  ECSD_TRY(f.str("name", c.name));
  ECSD_TRY(f.str("image", c.image));
  ECSD_TRY(f.integer("cpu", c.cpu));
  ECSD_TRY(f.integer("memory", c.memory_mib));
  ECSD_TRY(f.integer("memoryReservation", c.memory_reservation_mib));
  ECSD_TRY(f.str_list("links", c.links));
  ECSD_TRY(parse_port_mappings(f, "portMappings", c.port_mappings, ctx));
  ECSD_TRY(f.boolean("essential", c.essential));
  ECSD_TRY(f.str_list("entryPoint", c.entry_point));
  ECSD_TRY(f.str_list("command", c.command));

  std::vector<KeyValue> env;
  ECSD_TRY(f.objects("environment", [&](Fields& e) -> Status {
    KeyValue kv;
    if (!e.has("name")) return fail_invalid(e.path_of("name") + ": required");
    ECSD_TRY(e.str("name", kv.name));
    ECSD_TRY(e.str("value", kv.value));
    ECSD_TRY(finish_fields(e, ctx));
    env.push_back(std::move(kv));
    return {};
  }));
  c.environment = normalize_environment(std::move(env));
  ECSD_TRY(parse_environment_files(f, "environmentFiles", c.environment_files, ctx));
  ECSD_TRY(parse_mount_points(f, "mountPoints", c.mount_points, ctx));
  ECSD_TRY(parse_volumes_from(f, "volumesFrom", c.volumes_from, ctx));
  ECSD_TRY(parse_linux_parameters(f, "linuxParameters", c.linux_parameters, ctx));
  ECSD_TRY(parse_depends_on(f, "dependsOn", c.depends_on, ctx));
  ECSD_TRY(f.integer("startTimeout", c.start_timeout_s));
  ECSD_TRY(f.integer("stopTimeout", c.stop_timeout_s));
  ECSD_TRY(f.str("hostname", c.hostname));
  ECSD_TRY(f.str("user", c.user));
  ECSD_TRY(f.str("workingDirectory", c.working_directory));
  ECSD_TRY(f.boolean("disableNetworking", c.disable_networking));
  ECSD_TRY(f.boolean("privileged", c.privileged));
  ECSD_TRY(f.boolean("readonlyRootFilesystem", c.readonly_root_filesystem));
  ECSD_TRY(f.str_list("dnsServers", c.dns_servers));
  ECSD_TRY(f.str_list("dnsSearchDomains", c.dns_search_domains));
  ECSD_TRY(f.objects("extraHosts", [&](Fields& e) -> Status {
    HostEntry h;
    if (!e.has("hostname")) return fail_invalid(e.path_of("hostname") + ": required");
    if (!e.has("ipAddress")) return fail_invalid(e.path_of("ipAddress") + ": required");
    ECSD_TRY(e.str("hostname", h.hostname));
    ECSD_TRY(e.str("ipAddress", h.ip_address));
    ECSD_TRY(finish_fields(e, ctx));
    c.extra_hosts.push_back(std::move(h));
    return {};
  }));
  ECSD_TRY(f.str_map("dockerLabels", c.docker_labels));
  ECSD_TRY(f.objects("ulimits", [&](Fields& e) -> Status {
    Ulimit u;
    for (const char* k : {"name", "softLimit", "hardLimit"})
      if (!e.has(k)) return fail_invalid(e.path_of(k) + ": required");
    ECSD_TRY(e.str("name", u.name));
    ECSD_TRY(e.integer("softLimit", u.soft));
    ECSD_TRY(e.integer("hardLimit", u.hard));
    ECSD_TRY(finish_fields(e, ctx));
    c.ulimits.push_back(std::move(u));
    return {};
  }));
  ECSD_TRY(f.object("logConfiguration", [&](Fields& l) -> Status {
    if (!l.has("logDriver")) return fail_invalid(l.path_of("logDriver") + ": required");
    ECSD_TRY(l.str("logDriver", c.log_configuration.driver));
    ECSD_TRY(l.str_map("options", c.log_configuration.options));
    l.ignore("secretOptions");
    return finish_fields(l, ctx);
  }));
  ECSD_TRY(parse_health_check(f, c.health_check, ctx));

  for (const char* k : {"repositoryCredentials", "restartPolicy", "secrets", "versionConsistency",
                        "dockerSecurityOptions", "interactive", "pseudoTerminal", "systemControls",
                        "resourceRequirements", "firelensConfiguration", "credentialSpecs"})
    f.ignore(k);
  return finish_fields(f, ctx);
}

Status parse_definition(Fields& f, Task& t, const ParseContext& ctx) {
  if (!f.has("family")) return fail_invalid(f.path_of("family") + ": required");
  if (!f.has("containerDefinitions")) return fail_invalid(f.path_of("containerDefinitions") + ": required");
  ECSD_TRY(f.str("family", t.family));
  ECSD_TRY(f.str("taskRoleArn", t.task_role_arn));
  ECSD_TRY(f.str("executionRoleArn", t.execution_role_arn));
  ECSD_TRY(f.str("taskDefinitionArn", t.task_definition_arn));
  if (const json* r = f.get("revision")) {
    auto n = as_integer(*r, f.path_of("revision"));
    if (!n) return std::unexpected(n.error());
    t.revision = std::to_string(*n);
  }
  std::string mode;
  ECSD_TRY(f.str("networkMode", mode));
  if (!mode.empty()) {
    auto m = network_mode_from_string(mode);
    if (!m)
      return fail_invalid(f.path_of("networkMode") + ": expected bridge, host, awsvpc or none, got \"" + mode + "\"");
    t.network_mode = *m;
  }
  for (const char* key : {"cpu", "memory"}) {
    const json* v = f.get(key);
    if (!v) continue;
    if (!v->is_string())
      return fail_invalid(f.path_of(key) + ": expected a string such as " +
                          (std::string(key) == "cpu" ? "\"256\" or \"0.25 vCPU\"" : "\"512\" or \"1 GB\"") +
                          ", got " + describe_json(*v));
    const std::string s = v->get<std::string>();
    auto n = std::string(key) == "cpu" ? parse_task_cpu(s) : parse_task_memory(s);
    if (!n) return fail_invalid(f.path_of(key) + ": " + n.error().message);
    (std::string(key) == "cpu" ? t.cpu_units : t.memory_mib) = *n;
  }
  ECSD_TRY(f.str("pidMode", t.pid_mode));
  if (!t.pid_mode.empty() && t.pid_mode != "host" && t.pid_mode != "task")
    return fail_invalid(f.path_of("pidMode") + ": expected host or task, got \"" + t.pid_mode + "\"");
  ECSD_TRY(f.str("ipcMode", t.ipc_mode));
  if (!t.ipc_mode.empty() && t.ipc_mode != "host" && t.ipc_mode != "task" && t.ipc_mode != "none")
    return fail_invalid(f.path_of("ipcMode") + ": expected host, task or none, got \"" + t.ipc_mode + "\"");

  const json* defs = f.get("containerDefinitions");
  if (!defs || !defs->is_array())
    return fail_invalid(f.path_of("containerDefinitions") + ": expected an array, got " +
                        (defs ? describe_json(*defs) : std::string("null")));
  ECSD_TRY(f.objects("containerDefinitions", [&](Fields& cf) -> Status {
    ContainerModel c;
    ECSD_TRY(parse_container(cf, c, ctx));
    t.containers.push_back(std::move(c));
    return {};
  }));
  ECSD_TRY(parse_volumes(f, "volumes", t.volumes, ctx));

  for (const char* k : {"placementConstraints", "requiresCompatibilities", "tags", "proxyConfiguration",
                        "inferenceAccelerators", "ephemeralStorage", "runtimePlatform", "enableFaultInjection",
                        // describe-task-definition output only
                        "status", "requiresAttributes", "compatibilities", "registeredAt", "deregisteredAt",
                        "deleteRequestedAt", "registeredBy"})
    f.ignore(k);
  return finish_fields(f, ctx);
}

}  // namespace

Result<Task> parse_task_definition_json(const json& j, std::vector<std::string>* notes) {
  ParseContext ctx{true, notes};
  auto top = Fields::of(j, "");
  if (!top) return std::unexpected(top.error().with_context("task definition"));
  const json* body = &j;
  // describe-task-definition prints {"taskDefinition": {...}, "tags": [...]}.
  if (j.contains("taskDefinition") && !j.contains("containerDefinitions")) {
    top->get("taskDefinition");
    top->ignore("tags");
    if (auto s = top->reject_unknown(); !s) return std::unexpected(s.error().with_context("task definition"));
    body = &j["taskDefinition"];
  }
  auto f = Fields::of(*body, "");
  if (!f) return std::unexpected(f.error().with_context("task definition"));
  Task t;
  if (auto s = parse_definition(*f, t, ctx); !s) return std::unexpected(s.error().with_context("task definition"));
  if (auto s = validate_task(t, "containerDefinitions"); !s)
    return std::unexpected(s.error().with_context("task definition"));
  return t;
}

Result<Task> parse_task_definition(std::string_view json_text, std::vector<std::string>* notes) {
  auto j = parse_json_text(json_text, "task definition");
  if (!j) return std::unexpected(j.error());
  return parse_task_definition_json(*j, notes);
}

}  // namespace ecsd::task
