#include "agent/task/acs_task_parser.h"

#include <cmath>

#include "agent/task/docker_config.h"
#include "agent/task/json_fields.h"
#include "agent/task/parse_common.h"
#include "agent/task/validate.h"

namespace ecsd::task {

namespace {

Status parse_container(Fields& f, ContainerModel& c, const ParseContext& ctx) {
  if (!f.has("name")) return fail_invalid(f.path_of("name") + ": required");
  if (!f.has("image")) return fail_invalid(f.path_of("image") + ": required");
  ECSD_TRY(f.str("name", c.name));
  ECSD_TRY(f.str("image", c.image));
  ECSD_TRY(f.str("containerArn", c.arn));
  ECSD_TRY(f.integer("cpu", c.cpu));
  int64_t memory = 0;
  ECSD_TRY(f.integer("memory", memory));
  if (memory > 0) c.memory_mib = memory;  // ACS sends 0 when only memoryReservation is set
  ECSD_TRY(f.boolean("essential", c.essential));
  ECSD_TRY(f.str_list("entryPoint", c.entry_point));
  ECSD_TRY(f.str_list("command", c.command));
  std::map<std::string, std::string> env;
  ECSD_TRY(f.str_map("environment", env));
  for (auto& [k, v] : env) c.environment.push_back({k, v});
  c.environment = normalize_environment(std::move(c.environment));
  ECSD_TRY(parse_environment_files(f, "environmentFiles", c.environment_files, ctx));
  ECSD_TRY(f.str_list("links", c.links));
  ECSD_TRY(parse_port_mappings(f, "portMappings", c.port_mappings, ctx));
  ECSD_TRY(parse_mount_points(f, "mountPoints", c.mount_points, ctx));
  ECSD_TRY(parse_volumes_from(f, "volumesFrom", c.volumes_from, ctx));
  ECSD_TRY(parse_linux_parameters(f, "linuxParameters", c.linux_parameters, ctx));
  ECSD_TRY(f.boolean("privileged", c.privileged));
  ECSD_TRY(parse_depends_on(f, "dependsOn", c.depends_on, ctx));
  ECSD_TRY(f.integer("startTimeout", c.start_timeout_s));
  ECSD_TRY(f.integer("stopTimeout", c.stop_timeout_s));
  std::string hc_type;
  ECSD_TRY(f.str("healthCheckType", hc_type));
  if (!hc_type.empty() && hc_type != "docker")
    return fail_invalid(f.path_of("healthCheckType") + ": expected \"docker\", got \"" + hc_type + "\"");

  ECSD_TRY(f.object("dockerConfig", [&](Fields& d) -> Status {
    std::string config, host_config;
    ECSD_TRY(d.str("config", config));
    ECSD_TRY(d.str("hostConfig", host_config));
    d.ignore("version");
    ECSD_TRY(apply_docker_config(config, d.path_of("config"), c, ctx.notes));
    ECSD_TRY(apply_docker_host_config(host_config, d.path_of("hostConfig"), c, ctx.notes));
    return finish_fields(d, ctx);
  }));

  std::string overrides;
  ECSD_TRY(f.str("overrides", overrides));
  if (!overrides.empty()) {
    std::string op = f.path_of("overrides");
    auto j = parse_json_text(overrides, op);
    if (!j) return std::unexpected(j.error());
    auto o = Fields::of(*j, op);
    if (!o) return std::unexpected(o.error());
    std::optional<std::vector<std::string>> cmd;
    ECSD_TRY(o->str_list("command", cmd));
    if (cmd) c.command = std::move(cmd);
    ECSD_TRY(finish_fields(*o, ctx));
  }

  for (const char* k : {"credentialSpecs", "restartPolicy", "managedAgents", "networkInterfaceNames",
                        "registryAuthentication", "logsAuthStrategy", "secrets", "firelensConfiguration"})
    f.ignore(k);
  return finish_fields(f, ctx);
}

}  // namespace

Result<Task> parse_acs_task_json(const json& j, std::vector<std::string>* notes) {
  ParseContext ctx{false, notes};
  auto fr = Fields::of(j, "");
  if (!fr) return std::unexpected(fr.error().with_context("ACS task"));
  Fields& f = *fr;
  Task t;
  auto body = [&]() -> Status {
    ECSD_TRY(f.str("arn", t.arn));
    ECSD_TRY(f.str("family", t.family));
    ECSD_TRY(f.str("version", t.revision));
    ECSD_TRY(f.str("desiredStatus", t.desired_status));
    if (t.desired_status != "RUNNING" && t.desired_status != "STOPPED")
      return fail_invalid(f.path_of("desiredStatus") + ": expected RUNNING or STOPPED, got \"" + t.desired_status + "\"");
    std::string mode;
    ECSD_TRY(f.str("networkMode", mode));
    if (!mode.empty()) {
      auto m = network_mode_from_string(mode);
      if (!m)
        return fail_invalid(f.path_of("networkMode") + ": expected bridge, host, awsvpc or none, got \"" + mode + "\"");
      t.network_mode = *m;
    }
    std::optional<double> vcpu;
    ECSD_TRY(f.number("cpu", vcpu));  // vCPUs, a Double in ACS
    if (vcpu && *vcpu > 0) t.cpu_units = static_cast<int64_t>(std::llround(*vcpu * 1024.0));
    int64_t mem = 0;
    ECSD_TRY(f.integer("memory", mem));
    if (mem > 0) t.memory_mib = mem;
    ECSD_TRY(f.str("pidMode", t.pid_mode));
    ECSD_TRY(f.str("ipcMode", t.ipc_mode));
    ECSD_TRY(f.object("roleCredentials", [&](Fields& r) -> Status {
      ECSD_TRY(r.str("roleArn", t.task_role_arn));
      for (auto k : {"credentialsId", "accessKeyId", "secretAccessKey", "sessionToken", "expiration",
                     "credentialScope"})
        r.get(k);  // credentials are handled by the credentials manager
      return finish_fields(r, ctx);
    }));
    ECSD_TRY(f.object("executionRoleCredentials", [&](Fields& r) -> Status {
      ECSD_TRY(r.str("roleArn", t.execution_role_arn));
      for (auto k : {"credentialsId", "accessKeyId", "secretAccessKey", "sessionToken", "expiration",
                     "credentialScope"})
        r.get(k);
      return finish_fields(r, ctx);
    }));
    ECSD_TRY(f.objects("containers", [&](Fields& cf) -> Status {
      ContainerModel c;
      ECSD_TRY(parse_container(cf, c, ctx));
      t.containers.push_back(std::move(c));
      return {};
    }));
    ECSD_TRY(parse_volumes(f, "volumes", t.volumes, ctx));
    for (const char* k : {"taskClusterArn", "overrides", "zone", "taskDefinitionAccountId", "elasticNetworkInterfaces",
                          "associations", "proxyConfiguration", "agentConfiguration", "launchType", "attachments",
                          "serviceName", "group", "enableFaultInjection", "trustedExecutionConfiguration"})
      f.ignore(k);
    return finish_fields(f, ctx);
  };
  if (auto s = body(); !s) return std::unexpected(s.error().with_context("ACS task"));
  if (auto s = validate_task(t, "containers"); !s) return std::unexpected(s.error().with_context("ACS task"));
  return t;
}

Result<Task> parse_acs_task(std::string_view json_text, std::vector<std::string>* notes) {
  auto j = parse_json_text(json_text, "ACS task");
  if (!j) return std::unexpected(j.error());
  return parse_acs_task_json(*j, notes);
}

}  // namespace ecsd::task
