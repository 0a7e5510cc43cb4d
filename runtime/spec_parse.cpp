// Strict parsing of an OCI runtime-spec config.json into runtime::Spec.
//
// Every member of every object is either read into the Spec or rejected with
// "<json path>: unknown field", so a setting ecsd would not enforce is never
// silently dropped. Deliberate exceptions and decisions:
//  - process.consoleSize is accepted and ignored (only meaningful with a
//    terminal; `runc spec` may emit it).
//  - process.terminal is parsed (runc spec emits true); validate_spec()
//    rejects true, as ecsd has no console support.
//  - process.apparmorProfile, process.selinuxLabel and linux.mountLabel are
//    parsed; validate_spec() rejects non-empty values (no LSM support).
//  - process.user.username (Windows only) and domainname are accepted only empty.
//  - hooks: "hooks: not supported" unless absent, null or {}.
//  - linux.resources.devices are parsed into DeviceCgroupRule.
//  - linux.seccomp.listenerPath / listenerMetadata are accepted only empty
//    (SCMP_ACT_NOTIFY is not supported).
//  - Anything else the spec defines that Spec does not model (blockIO,
//    hugepageLimits, intelRdt, personality, timeOffsets, ...) is "unknown field".
#include <filesystem>

#include "common/file_util.h"
#include "runtime/spec.h"
#include "runtime/spec_json_fields.h"

namespace ecsd::runtime {

using namespace jsonf;

namespace {

Status must_be_empty_string(const json& obj, std::string_view path, std::string_view key) {
  std::string s;
  ECSD_TRY(read_member(obj, path, key, s));
  if (!s.empty()) return std::unexpected(field_error(member_path(path, key), "not supported (must be empty)"));
  return {};
}

Status parse_user(const json& v, std::string_view path, User& u) {
  ECSD_TRY(check_object(v, path, {"uid", "gid", "umask", "additionalGids", "username"}));
  ECSD_TRY(read_member(v, path, "uid", u.uid));
  ECSD_TRY(read_member(v, path, "gid", u.gid));
  ECSD_TRY(read_member(v, path, "umask", u.umask));
  ECSD_TRY(read_member(v, path, "additionalGids", u.additional_gids));
  ECSD_TRY(must_be_empty_string(v, path, "username"));
  return {};
}

Status parse_capabilities(const json& v, std::string_view path, Capabilities& c) {
  ECSD_TRY(check_object(v, path, {"bounding", "effective", "inheritable", "permitted", "ambient"}));
  ECSD_TRY(read_member(v, path, "bounding", c.bounding));
  ECSD_TRY(read_member(v, path, "effective", c.effective));
  ECSD_TRY(read_member(v, path, "inheritable", c.inheritable));
  ECSD_TRY(read_member(v, path, "permitted", c.permitted));
  ECSD_TRY(read_member(v, path, "ambient", c.ambient));
  return {};
}

Status parse_rlimit(const json& v, std::string_view path, Rlimit& r) {
  ECSD_TRY(check_object(v, path, {"type", "hard", "soft"}));
  ECSD_TRY(read_member(v, path, "type", r.type));
  ECSD_TRY(read_member(v, path, "hard", r.hard));
  ECSD_TRY(read_member(v, path, "soft", r.soft));
  return {};
}

Status parse_process(const json& v, std::string_view path, Process& p) {
  ECSD_TRY(check_object(v, path,
                        {"terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "rlimits",
                         "noNewPrivileges", "oomScoreAdj", "apparmorProfile", "selinuxLabel"}));
  ECSD_TRY(read_member(v, path, "terminal", p.terminal));
  if (const json* cs = member(v, "consoleSize")) {
    // Ignored (no terminal support), but still type-checked.
    std::string csp = member_path(path, "consoleSize");
    ECSD_TRY(check_object(*cs, csp, {"height", "width"}));
    uint32_t ignored = 0;
    ECSD_TRY(read_member(*cs, csp, "height", ignored));
    ECSD_TRY(read_member(*cs, csp, "width", ignored));
  }
  if (const json* u = member(v, "user")) ECSD_TRY(parse_user(*u, member_path(path, "user"), p.user));
  ECSD_TRY(read_member(v, path, "args", p.args));
  ECSD_TRY(read_member(v, path, "env", p.env));
  ECSD_TRY(read_member(v, path, "cwd", p.cwd));
  if (const json* c = member(v, "capabilities")) {
    Capabilities caps;
    ECSD_TRY(parse_capabilities(*c, member_path(path, "capabilities"), caps));
    p.capabilities = std::move(caps);
  }
  ECSD_TRY(read_array_member(v, path, "rlimits", p.rlimits, parse_rlimit));
  ECSD_TRY(read_member(v, path, "noNewPrivileges", p.no_new_privileges));
  ECSD_TRY(read_member(v, path, "oomScoreAdj", p.oom_score_adj));
  ECSD_TRY(read_member(v, path, "apparmorProfile", p.apparmor_profile));
  ECSD_TRY(read_member(v, path, "selinuxLabel", p.selinux_label));
  return {};
}

Status parse_root(const json& v, std::string_view path, Root& r) {
  ECSD_TRY(check_object(v, path, {"path", "readonly"}));
  ECSD_TRY(read_member(v, path, "path", r.path));
  ECSD_TRY(read_member(v, path, "readonly", r.readonly));
  return {};
}

Status parse_mount(const json& v, std::string_view path, Mount& m) {
  ECSD_TRY(check_object(v, path, {"destination", "type", "source", "options"}));
  ECSD_TRY(read_member(v, path, "destination", m.destination));
  ECSD_TRY(read_member(v, path, "type", m.type));
  ECSD_TRY(read_member(v, path, "source", m.source));
  ECSD_TRY(read_member(v, path, "options", m.options));
  return {};
}

Status parse_namespace(const json& v, std::string_view path, Namespace& n) {
  ECSD_TRY(check_object(v, path, {"type", "path"}));
  ECSD_TRY(read_member(v, path, "type", n.type));
  ECSD_TRY(read_member(v, path, "path", n.path));
  return {};
}

Status parse_id_mapping(const json& v, std::string_view path, IdMapping& m) {
  ECSD_TRY(check_object(v, path, {"containerID", "hostID", "size"}));
  ECSD_TRY(read_member(v, path, "containerID", m.container_id));
  ECSD_TRY(read_member(v, path, "hostID", m.host_id));
  ECSD_TRY(read_member(v, path, "size", m.size));
  return {};
}

Status parse_device(const json& v, std::string_view path, Device& d) {
  ECSD_TRY(check_object(v, path, {"type", "path", "major", "minor", "fileMode", "uid", "gid"}));
  ECSD_TRY(read_member(v, path, "type", d.type));
  ECSD_TRY(read_member(v, path, "path", d.path));
  ECSD_TRY(read_member(v, path, "major", d.major));
  ECSD_TRY(read_member(v, path, "minor", d.minor));
  ECSD_TRY(read_member(v, path, "fileMode", d.file_mode));
  ECSD_TRY(read_member(v, path, "uid", d.uid));
  ECSD_TRY(read_member(v, path, "gid", d.gid));
  return {};
}

Status parse_device_rule(const json& v, std::string_view path, DeviceCgroupRule& r) {
  ECSD_TRY(check_object(v, path, {"allow", "type", "major", "minor", "access"}));
  ECSD_TRY(read_member(v, path, "allow", r.allow));
  ECSD_TRY(read_member(v, path, "type", r.type));
  ECSD_TRY(read_member(v, path, "major", r.major));
  ECSD_TRY(read_member(v, path, "minor", r.minor));
  ECSD_TRY(read_member(v, path, "access", r.access));
  return {};
}

Status parse_memory(const json& v, std::string_view path, MemoryResources& m) {
  ECSD_TRY(check_object(v, path, {"limit", "reservation", "swap", "swappiness", "disableOOMKiller"}));
  ECSD_TRY(read_member(v, path, "limit", m.limit));
  ECSD_TRY(read_member(v, path, "reservation", m.reservation));
  ECSD_TRY(read_member(v, path, "swap", m.swap));
  ECSD_TRY(read_member(v, path, "swappiness", m.swappiness));
  ECSD_TRY(read_member(v, path, "disableOOMKiller", m.disable_oom_killer));
  return {};
}

Status parse_cpu(const json& v, std::string_view path, CpuResources& c) {
  ECSD_TRY(check_object(v, path, {"shares", "quota", "period", "cpus", "mems"}));
  ECSD_TRY(read_member(v, path, "shares", c.shares));
  ECSD_TRY(read_member(v, path, "quota", c.quota));
  ECSD_TRY(read_member(v, path, "period", c.period));
  ECSD_TRY(read_member(v, path, "cpus", c.cpus));
  ECSD_TRY(read_member(v, path, "mems", c.mems));
  return {};
}

Status parse_resources(const json& v, std::string_view path, Resources& r) {
  ECSD_TRY(check_object(v, path, {"memory", "cpu", "pids", "devices"}));
  if (const json* m = member(v, "memory")) {
    MemoryResources mem;
    ECSD_TRY(parse_memory(*m, member_path(path, "memory"), mem));
    r.memory = mem;
  }
  if (const json* c = member(v, "cpu")) {
    CpuResources cpu;
    ECSD_TRY(parse_cpu(*c, member_path(path, "cpu"), cpu));
    r.cpu = std::move(cpu);
  }
  if (const json* p = member(v, "pids")) {
    std::string pp = member_path(path, "pids");
    ECSD_TRY(check_object(*p, pp, {"limit"}));
    PidsResources pids;
    ECSD_TRY(read_member(*p, pp, "limit", pids.limit));
    r.pids = pids;
  }
  ECSD_TRY(read_array_member(v, path, "devices", r.devices, parse_device_rule));
  return {};
}

Status parse_seccomp_arg(const json& v, std::string_view path, SeccompArg& a) {
  ECSD_TRY(check_object(v, path, {"index", "value", "valueTwo", "op"}));
  ECSD_TRY(read_member(v, path, "index", a.index));
  ECSD_TRY(read_member(v, path, "value", a.value));
  ECSD_TRY(read_member(v, path, "valueTwo", a.value_two));
  ECSD_TRY(read_member(v, path, "op", a.op));
  return {};
}

Status parse_seccomp_syscall(const json& v, std::string_view path, SeccompSyscall& s) {
  ECSD_TRY(check_object(v, path, {"names", "action", "errnoRet", "args"}));
  ECSD_TRY(read_member(v, path, "names", s.names));
  ECSD_TRY(read_member(v, path, "action", s.action));
  ECSD_TRY(read_member(v, path, "errnoRet", s.errno_ret));
  ECSD_TRY(read_array_member(v, path, "args", s.args, parse_seccomp_arg));
  return {};
}

Status parse_seccomp(const json& v, std::string_view path, Seccomp& s) {
  ECSD_TRY(check_object(v, path,
                        {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls", "listenerPath",
                         "listenerMetadata"}));
  ECSD_TRY(read_member(v, path, "defaultAction", s.default_action));
  ECSD_TRY(read_member(v, path, "defaultErrnoRet", s.default_errno_ret));
  ECSD_TRY(read_member(v, path, "architectures", s.architectures));
  ECSD_TRY(read_member(v, path, "flags", s.flags));
  ECSD_TRY(read_array_member(v, path, "syscalls", s.syscalls, parse_seccomp_syscall));
  ECSD_TRY(must_be_empty_string(v, path, "listenerPath"));
  ECSD_TRY(must_be_empty_string(v, path, "listenerMetadata"));
  return {};
}

Status parse_linux(const json& v, std::string_view path, Linux& l) {
  ECSD_TRY(check_object(v, path,
                        {"namespaces", "uidMappings", "gidMappings", "devices", "cgroupsPath", "resources",
                         "rootfsPropagation", "maskedPaths", "readonlyPaths", "sysctl", "seccomp", "mountLabel"}));
  ECSD_TRY(read_array_member(v, path, "namespaces", l.namespaces, parse_namespace));
  ECSD_TRY(read_array_member(v, path, "uidMappings", l.uid_mappings, parse_id_mapping));
  ECSD_TRY(read_array_member(v, path, "gidMappings", l.gid_mappings, parse_id_mapping));
  ECSD_TRY(read_array_member(v, path, "devices", l.devices, parse_device));
  ECSD_TRY(read_member(v, path, "cgroupsPath", l.cgroups_path));
  if (const json* r = member(v, "resources")) {
    Resources res;
    ECSD_TRY(parse_resources(*r, member_path(path, "resources"), res));
    l.resources = std::move(res);
  }
  ECSD_TRY(read_member(v, path, "rootfsPropagation", l.rootfs_propagation));
  ECSD_TRY(read_member(v, path, "maskedPaths", l.masked_paths));
  ECSD_TRY(read_member(v, path, "readonlyPaths", l.readonly_paths));
  ECSD_TRY(read_member(v, path, "sysctl", l.sysctl));
  if (const json* s = member(v, "seccomp")) {
    Seccomp sec;
    ECSD_TRY(parse_seccomp(*s, member_path(path, "seccomp"), sec));
    l.seccomp = std::move(sec);
  }
  ECSD_TRY(read_member(v, path, "mountLabel", l.mount_label));
  return {};
}

}  // namespace

Result<Spec> parse_spec_json(const json& j) {
  Spec s;
  ECSD_TRY(check_object(j, "", {"ociVersion", "root", "process", "hostname", "domainname", "mounts", "hooks",
                                "linux", "annotations"}));
  ECSD_TRY(read_member(j, "", "ociVersion", s.oci_version));
  if (const json* r = member(j, "root")) ECSD_TRY(parse_root(*r, "root", s.root));
  if (const json* p = member(j, "process")) ECSD_TRY(parse_process(*p, "process", s.process));
  ECSD_TRY(read_member(j, "", "hostname", s.hostname));
  ECSD_TRY(must_be_empty_string(j, "", "domainname"));
  ECSD_TRY(read_array_member(j, "", "mounts", s.mounts, parse_mount));
  if (const json* h = member(j, "hooks")) {
    if (!h->is_object() || !h->empty()) return fail(field_error("hooks", "not supported"));
  }
  if (const json* l = member(j, "linux")) ECSD_TRY(parse_linux(*l, "linux", s.linux));
  ECSD_TRY(read_member(j, "", "annotations", s.annotations));
  return s;
}

Result<Spec> parse_spec(std::string_view json_text) {
  json j;
  try {
    j = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    return fail_invalid(std::string("invalid JSON: ") + e.what());
  }
  return parse_spec_json(j);
}

Result<Spec> load_bundle_spec(const std::string& bundle_dir) {
  std::error_code ec;
  std::filesystem::path bundle = std::filesystem::absolute(bundle_dir, ec);
  if (ec) return fail_sys(ec.value(), "resolving bundle directory", bundle_dir);
  bundle = bundle.lexically_normal();
  if (bundle.has_filename() == false && bundle != bundle.root_path()) bundle = bundle.parent_path();
  const std::string config = (bundle / "config.json").string();
  auto text = read_file(config);
  if (!text) return fail(text.error());
  auto spec = parse_spec(*text);
  if (!spec) return fail(spec.error().with_context(config));
  if (spec->root.path.empty()) return fail(field_error("root.path", "missing").with_context(config));
  std::filesystem::path root(spec->root.path);
  if (root.is_relative()) root = bundle / root;
  spec->root.path = root.lexically_normal().string();
  if (spec->root.path.size() > 1 && spec->root.path.back() == '/') spec->root.path.pop_back();
  return spec;
}

}  // namespace ecsd::runtime
