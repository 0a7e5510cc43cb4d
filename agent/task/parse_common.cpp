#include "agent/task/parse_common.h"

namespace ecsd::task {

namespace {

Status required(Fields& f, std::string_view key) {
  if (!f.has(key)) return fail_invalid(f.path_of(key) + ": required");
  return {};
}

}  // namespace

Status finish_fields(const Fields& f, const ParseContext& ctx) {
  for (auto& p : f.ignored()) ctx.note(p + ": accepted, ignored by ecsd");
  if (ctx.strict) return f.reject_unknown();
  for (auto& k : f.unknown()) ctx.note(f.path_of(k) + ": unknown field, ignored");
  return {};
}

Status parse_mount_points(Fields& f, const char* key, std::vector<MountPoint>& out, const ParseContext& ctx) {
  return f.objects(key, [&](Fields& m) -> Status {
    MountPoint mp;
    ECSD_TRY(required(m, "sourceVolume"));
    ECSD_TRY(required(m, "containerPath"));
    ECSD_TRY(m.str("sourceVolume", mp.source_volume));
    ECSD_TRY(m.str("containerPath", mp.container_path));
    ECSD_TRY(m.boolean("readOnly", mp.read_only));
    ECSD_TRY(finish_fields(m, ctx));
    out.push_back(std::move(mp));
    return {};
  });
}

Status parse_volumes_from(Fields& f, const char* key, std::vector<VolumeFrom>& out, const ParseContext& ctx) {
  return f.objects(key, [&](Fields& m) -> Status {
    VolumeFrom vf;
    ECSD_TRY(required(m, "sourceContainer"));
    ECSD_TRY(m.str("sourceContainer", vf.source_container));
    ECSD_TRY(m.boolean("readOnly", vf.read_only));
    ECSD_TRY(finish_fields(m, ctx));
    out.push_back(std::move(vf));
    return {};
  });
}

Status parse_port_mappings(Fields& f, const char* key, std::vector<PortMapping>& out, const ParseContext& ctx) {
  return f.objects(key, [&](Fields& m) -> Status {
    PortMapping pm;
    ECSD_TRY(m.integer("containerPort", pm.container_port));
    ECSD_TRY(m.integer("hostPort", pm.host_port));
    ECSD_TRY(m.str("protocol", pm.protocol));
    ECSD_TRY(m.str("name", pm.name));
    ECSD_TRY(m.str("containerPortRange", pm.container_port_range));
    m.ignore("appProtocol");
    if (pm.protocol != "tcp" && pm.protocol != "udp")
      return fail_invalid(m.path_of("protocol") + ": expected \"tcp\" or \"udp\", got \"" + pm.protocol + "\"");
    if (pm.container_port == 0 && pm.container_port_range.empty())
      return fail_invalid(m.path() + ": containerPort or containerPortRange is required");
    ECSD_TRY(finish_fields(m, ctx));
    out.push_back(std::move(pm));
    return {};
  });
}

Status parse_depends_on(Fields& f, const char* key, std::vector<ContainerDependency>& out, const ParseContext& ctx) {
  return f.objects(key, [&](Fields& m) -> Status {
    ContainerDependency d;
    ECSD_TRY(required(m, "containerName"));
    ECSD_TRY(required(m, "condition"));
    ECSD_TRY(m.str("containerName", d.container_name));
    std::string cond;
    ECSD_TRY(m.str("condition", cond));
    auto c = condition_from_string(cond);
    if (!c)
      return fail_invalid(m.path_of("condition") + ": expected START, COMPLETE, SUCCESS or HEALTHY, got \"" + cond + "\"");
    d.condition = *c;
    ECSD_TRY(finish_fields(m, ctx));
    out.push_back(std::move(d));
    return {};
  });
}

Status parse_environment_files(Fields& f, const char* key, std::vector<EnvironmentFile>& out,
                               const ParseContext& ctx) {
  return f.objects(key, [&](Fields& m) -> Status {
    EnvironmentFile e;
    ECSD_TRY(required(m, "value"));
    ECSD_TRY(required(m, "type"));
    ECSD_TRY(m.str("value", e.value));
    ECSD_TRY(m.str("type", e.type));
    if (e.type != "s3" && e.type != "file")
      return fail_invalid(m.path_of("type") + ": expected \"s3\" or \"file\", got \"" + e.type + "\"");
    ECSD_TRY(finish_fields(m, ctx));
    out.push_back(std::move(e));
    return {};
  });
}

Status parse_linux_parameters(Fields& f, const char* key, LinuxParameters& out, const ParseContext& ctx) {
  return f.object(key, [&](Fields& lp) -> Status {
    ECSD_TRY(lp.object("capabilities", [&](Fields& caps) -> Status {
      ECSD_TRY(caps.str_list("add", out.cap_add));
      ECSD_TRY(caps.str_list("drop", out.cap_drop));
      return finish_fields(caps, ctx);
    }));
    ECSD_TRY(lp.objects("devices", [&](Fields& d) -> Status {
      DeviceMapping dev;
      ECSD_TRY(required(d, "hostPath"));
      ECSD_TRY(d.str("hostPath", dev.host_path));
      ECSD_TRY(d.str("containerPath", dev.container_path));
      ECSD_TRY(d.str_list("permissions", dev.permissions));
      for (size_t i = 0; i < dev.permissions.size(); ++i) {
        const auto& p = dev.permissions[i];
        if (p != "read" && p != "write" && p != "mknod")
          return fail_invalid(index_path(d.path_of("permissions"), i) + ": expected read, write or mknod, got \"" + p + "\"");
      }
      ECSD_TRY(finish_fields(d, ctx));
      out.devices.push_back(std::move(dev));
      return {};
    }));
    ECSD_TRY(lp.boolean("initProcessEnabled", out.init_process_enabled));
    ECSD_TRY(lp.integer("sharedMemorySize", out.shared_memory_size_mib));
    ECSD_TRY(lp.objects("tmpfs", [&](Fields& t) -> Status {
      TmpfsMount m;
      ECSD_TRY(required(t, "containerPath"));
      ECSD_TRY(required(t, "size"));
      ECSD_TRY(t.str("containerPath", m.container_path));
      ECSD_TRY(t.integer("size", m.size_mib));
      ECSD_TRY(t.str_list("mountOptions", m.mount_options));
      ECSD_TRY(finish_fields(t, ctx));
      out.tmpfs.push_back(std::move(m));
      return {};
    }));
    ECSD_TRY(lp.integer("maxSwap", out.max_swap_mib));
    ECSD_TRY(lp.integer("swappiness", out.swappiness));
    return finish_fields(lp, ctx);
  });
}

Status parse_volumes(Fields& f, const char* key, std::vector<Volume>& out, const ParseContext& ctx) {
  return f.objects(key, [&](Fields& v) -> Status {
    Volume vol;
    ECSD_TRY(required(v, "name"));
    ECSD_TRY(v.str("name", vol.name));
    std::string type;  // ACS only; not a task-definition field
    if (!ctx.strict) ECSD_TRY(v.str("type", type));
    bool has_host = false, has_docker = false;
    ECSD_TRY(v.object("host", [&](Fields& h) -> Status {
      has_host = true;
      ECSD_TRY(h.str("sourcePath", vol.source_path));
      return finish_fields(h, ctx);
    }));
    ECSD_TRY(v.object("dockerVolumeConfiguration", [&](Fields& d) -> Status {
      has_docker = true;
      ECSD_TRY(d.str("scope", vol.docker.scope));
      ECSD_TRY(d.boolean("autoprovision", vol.docker.autoprovision));
      ECSD_TRY(d.str("driver", vol.docker.driver));
      ECSD_TRY(d.str_map("driverOpts", vol.docker.driver_opts));
      ECSD_TRY(d.str_map("labels", vol.docker.labels));
      if (vol.docker.scope != "task" && vol.docker.scope != "shared")
        return fail_invalid(d.path_of("scope") + ": expected \"task\" or \"shared\", got \"" + vol.docker.scope + "\"");
      return finish_fields(d, ctx);
    }));
    if (has_host && has_docker)
      return fail_invalid(v.path() + ": host and dockerVolumeConfiguration cannot both be set");
    const char* unsupported[][2] = {{"efsVolumeConfiguration", "efs"},
                                    {"fsxWindowsFileServerVolumeConfiguration", "fsxWindowsFileServer"},
                                    {"s3filesVolumeConfiguration", "s3files"},
                                    {"ebsVolumeConfiguration", "ebs"},
                                    {"logDriverVolumeConfiguration", "logDriverOutput"}};
    for (auto& u : unsupported) {
      if (v.has(u[0])) vol.unsupported_type = u[1];  // kept, not read: the engine rejects it
    }
    bool at_launch = false;
    ECSD_TRY(v.boolean("configuredAtLaunch", at_launch));
    if (at_launch && vol.unsupported_type.empty()) vol.unsupported_type = "ebs";

    if (!vol.unsupported_type.empty()) {
      vol.kind = VolumeKind::unsupported;
    } else if (has_docker || type == "docker") {
      vol.kind = VolumeKind::docker;
    } else if (!type.empty() && type != "host") {
      vol.kind = VolumeKind::unsupported;
      vol.unsupported_type = type;
    } else if (!vol.source_path.empty()) {
      vol.kind = VolumeKind::host;
    } else {
      vol.kind = VolumeKind::task_empty;
    }
    ECSD_TRY(finish_fields(v, ctx));
    out.push_back(std::move(vol));
    return {};
  });
}

}  // namespace ecsd::task
