// Spec -> OCI config.json. Canonical form: optional values only when set,
// lists only when non-empty (process.args/env and the capability sets always),
// so parse_spec(spec_to_json(s)) reproduces s and serialising again gives the
// same JSON.
#include <nlohmann/json.hpp>

#include "runtime/spec.h"

namespace ecsd::runtime {

using nlohmann::json;

namespace {

template <typename T>
void put_opt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

void put_str(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

template <typename T>
void put_list(json& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}

json id_mappings(const std::vector<IdMapping>& v) {
  json a = json::array();
  for (const auto& m : v) a.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  return a;
}

json process_json(const Process& p) {
  json j;
  j["terminal"] = p.terminal;
  json user = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  put_opt(user, "umask", p.user.umask);
  put_list(user, "additionalGids", p.user.additional_gids);
  j["user"] = user;
  j["args"] = p.args;
  j["env"] = p.env;
  j["cwd"] = p.cwd;
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    j["capabilities"] = {{"bounding", c.bounding},
                         {"effective", c.effective},
                         {"inheritable", c.inheritable},
                         {"permitted", c.permitted},
                         {"ambient", c.ambient}};
  }
  if (!p.rlimits.empty()) {
    json a = json::array();
    for (const auto& r : p.rlimits) a.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
    j["rlimits"] = a;
  }
  j["noNewPrivileges"] = p.no_new_privileges;
  put_opt(j, "oomScoreAdj", p.oom_score_adj);
  put_str(j, "apparmorProfile", p.apparmor_profile);
  put_str(j, "selinuxLabel", p.selinux_label);
  return j;
}

json resources_json(const Resources& r) {
  json j = json::object();
  if (r.memory) {
    json m = json::object();
    put_opt(m, "limit", r.memory->limit);
    put_opt(m, "reservation", r.memory->reservation);
    put_opt(m, "swap", r.memory->swap);
    put_opt(m, "swappiness", r.memory->swappiness);
    put_opt(m, "disableOOMKiller", r.memory->disable_oom_killer);
    j["memory"] = m;
  }
  if (r.cpu) {
    json c = json::object();
    put_opt(c, "shares", r.cpu->shares);
    put_opt(c, "quota", r.cpu->quota);
    put_opt(c, "period", r.cpu->period);
    put_str(c, "cpus", r.cpu->cpus);
    put_str(c, "mems", r.cpu->mems);
    j["cpu"] = c;
  }
  if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
  if (!r.devices.empty()) {
    json a = json::array();
    for (const auto& d : r.devices) {
      json e = {{"allow", d.allow}};
      put_str(e, "type", d.type);
      put_opt(e, "major", d.major);
      put_opt(e, "minor", d.minor);
      put_str(e, "access", d.access);
      a.push_back(e);
    }
    j["devices"] = a;
  }
  return j;
}

json seccomp_json(const Seccomp& s) {
  json j;
  j["defaultAction"] = s.default_action;
  put_opt(j, "defaultErrnoRet", s.default_errno_ret);
  put_list(j, "architectures", s.architectures);
  put_list(j, "flags", s.flags);
  json calls = json::array();
  for (const auto& c : s.syscalls) {
    json e = {{"names", c.names}, {"action", c.action}};
    put_opt(e, "errnoRet", c.errno_ret);
    if (!c.args.empty()) {
      json args = json::array();
      for (const auto& a : c.args) {
        json aj = {{"index", a.index}, {"value", a.value}, {"op", a.op}};
        if (a.value_two != 0) aj["valueTwo"] = a.value_two;
        args.push_back(aj);
      }
      e["args"] = args;
    }
    calls.push_back(e);
  }
  if (!calls.empty()) j["syscalls"] = calls;
  return j;
}

json linux_json(const Linux& l) {
  json j = json::object();
  if (!l.namespaces.empty()) {
    json a = json::array();
    for (const auto& n : l.namespaces) {
      json e = {{"type", n.type}};
      put_str(e, "path", n.path);
      a.push_back(e);
    }
    j["namespaces"] = a;
  }
  if (!l.uid_mappings.empty()) j["uidMappings"] = id_mappings(l.uid_mappings);
  if (!l.gid_mappings.empty()) j["gidMappings"] = id_mappings(l.gid_mappings);
  if (!l.devices.empty()) {
    json a = json::array();
    for (const auto& d : l.devices) {
      json e = {{"type", d.type}, {"path", d.path}, {"major", d.major}, {"minor", d.minor}};
      put_opt(e, "fileMode", d.file_mode);
      put_opt(e, "uid", d.uid);
      put_opt(e, "gid", d.gid);
      a.push_back(e);
    }
    j["devices"] = a;
  }
  put_str(j, "cgroupsPath", l.cgroups_path);
  if (l.resources) j["resources"] = resources_json(*l.resources);
  put_str(j, "rootfsPropagation", l.rootfs_propagation);
  put_list(j, "maskedPaths", l.masked_paths);
  put_list(j, "readonlyPaths", l.readonly_paths);
  if (!l.sysctl.empty()) j["sysctl"] = l.sysctl;
  if (l.seccomp) j["seccomp"] = seccomp_json(*l.seccomp);
  put_str(j, "mountLabel", l.mount_label);
  return j;
}

}  // namespace

json spec_to_json(const Spec& s) {
  json j;
  j["ociVersion"] = s.oci_version;
  j["root"] = {{"path", s.root.path}, {"readonly", s.root.readonly}};
  j["process"] = process_json(s.process);
  put_str(j, "hostname", s.hostname);
  if (!s.mounts.empty()) {
    json a = json::array();
    for (const auto& m : s.mounts) {
      json e = {{"destination", m.destination}};
      put_str(e, "type", m.type);
      put_str(e, "source", m.source);
      put_list(e, "options", m.options);
      a.push_back(e);
    }
    j["mounts"] = a;
  }
  j["linux"] = linux_json(s.linux);
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

}  // namespace ecsd::runtime
