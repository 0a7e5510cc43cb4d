// Semantic checks of a parsed Spec. Each error names the field by its JSON
// path: "linux.namespaces[2].type: unknown namespace type \"foo\"".
#include <set>

#include "runtime/capabilities.h"
#include "runtime/seccomp_names.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

namespace {

Error bad(const std::string& path, const std::string& msg) { return Error::invalid(path + ": " + msg); }

std::string at(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

bool absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

bool has_dotdot(const std::string& p) {
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t e = p.find('/', pos);
    if (e == std::string::npos) e = p.size();
    if (p.compare(pos, e - pos, "..") == 0 && e - pos == 2) return true;
    pos = e + 1;
  }
  return false;
}

constexpr const char* kRlimits[] = {"RLIMIT_AS",      "RLIMIT_CORE",    "RLIMIT_CPU",    "RLIMIT_DATA",
                                    "RLIMIT_FSIZE",   "RLIMIT_LOCKS",   "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE",
                                    "RLIMIT_NICE",    "RLIMIT_NOFILE",  "RLIMIT_NPROC",  "RLIMIT_RSS",
                                    "RLIMIT_RTPRIO",  "RLIMIT_RTTIME",  "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

constexpr const char* kNamespaces[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};

Status check_process(const Process& p) {
  if (p.terminal) return fail(bad("process.terminal", "a terminal is not supported"));
  if (p.args.empty()) return fail(bad("process.args", "must not be empty"));
  if (p.args[0].empty()) return fail(bad("process.args[0]", "must not be empty"));
  if (!absolute(p.cwd)) return fail(bad("process.cwd", "must be an absolute path, got " + quoted(p.cwd)));
  for (size_t i = 0; i < p.env.size(); ++i) {
    size_t eq = p.env[i].find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(bad(at("process.env", i), "expected KEY=VALUE, got " + quoted(p.env[i])));
  }
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    const std::pair<const char*, const std::vector<std::string>*> sets[] = {
        {"bounding", &c.bounding}, {"effective", &c.effective}, {"inheritable", &c.inheritable},
        {"permitted", &c.permitted}, {"ambient", &c.ambient}};
    for (const auto& [name, list] : sets)
      for (size_t i = 0; i < list->size(); ++i)
        if (!capability_from_name((*list)[i]))
          return fail(bad(at(std::string("process.capabilities.") + name, i),
                          "unknown capability " + quoted((*list)[i])));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const auto& r = p.rlimits[i];
    const std::string path = at("process.rlimits", i);
    bool known = false;
    for (const char* k : kRlimits) known = known || r.type == k;
    if (!known) return fail(bad(path + ".type", "unknown rlimit " + quoted(r.type)));
    if (!seen.insert(r.type).second) return fail(bad(path + ".type", "duplicate rlimit " + quoted(r.type)));
    if (r.soft > r.hard)
      return fail(bad(path + ".soft", "soft limit " + std::to_string(r.soft) + " exceeds hard limit " +
                                          std::to_string(r.hard)));
  }
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    return fail(bad("process.oomScoreAdj", "must be in -1000..1000, got " + std::to_string(*p.oom_score_adj)));
  if (!p.apparmor_profile.empty()) return fail(bad("process.apparmorProfile", "AppArmor is not supported"));
  if (!p.selinux_label.empty()) return fail(bad("process.selinuxLabel", "SELinux is not supported"));
  return {};
}

Status check_mappings(const std::vector<IdMapping>& maps, const std::string& path) {
  for (size_t i = 0; i < maps.size(); ++i)
    if (maps[i].size == 0) return fail(bad(at(path, i) + ".size", "must be greater than 0"));
  return {};
}

Status check_resources(const Resources& r) {
  const std::string base = "linux.resources";
  if (r.memory) {
    const auto& m = *r.memory;
    auto pos_or_unlimited = [&](const std::optional<int64_t>& v, const char* name) -> Status {
      if (v && *v != -1 && *v <= 0)
        return fail(bad(base + ".memory." + name, "must be positive or -1, got " + std::to_string(*v)));
      return {};
    };
    ECSD_TRY(pos_or_unlimited(m.limit, "limit"));
    ECSD_TRY(pos_or_unlimited(m.reservation, "reservation"));
    ECSD_TRY(pos_or_unlimited(m.swap, "swap"));
    if (m.swap && m.limit && *m.swap != -1 && *m.limit != -1 && *m.swap < *m.limit)
      return fail(bad(base + ".memory.swap", "memory+swap limit " + std::to_string(*m.swap) +
                                                 " is below the memory limit " + std::to_string(*m.limit)));
    if (m.swappiness && *m.swappiness > 100)
      return fail(bad(base + ".memory.swappiness", "must be in 0..100, got " + std::to_string(*m.swappiness)));
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    if (c.shares && *c.shares == 0) return fail(bad(base + ".cpu.shares", "must be positive"));
    if (c.quota && *c.quota != -1 && *c.quota <= 0)
      return fail(bad(base + ".cpu.quota", "must be positive or -1, got " + std::to_string(*c.quota)));
    if (c.period && (*c.period < 1000 || *c.period > 1000000))
      return fail(bad(base + ".cpu.period", "must be in 1000..1000000 microseconds, got " +
                                                std::to_string(*c.period)));
  }
  if (r.pids && r.pids->limit < -1)
    return fail(bad(base + ".pids.limit", "must be positive, 0 (unset) or -1, got " + std::to_string(r.pids->limit)));
  for (size_t i = 0; i < r.devices.size(); ++i) {
    const auto& d = r.devices[i];
    const std::string path = at(base + ".devices", i);
    if (!(d.type.empty() || d.type == "a" || d.type == "c" || d.type == "b"))
      return fail(bad(path + ".type", "must be a, b or c, got " + quoted(d.type)));
    for (char ch : d.access)
      if (ch != 'r' && ch != 'w' && ch != 'm')
        return fail(bad(path + ".access", "may only hold r, w and m, got " + quoted(d.access)));
    if (d.major && *d.major < -1) return fail(bad(path + ".major", "must be >= 0 (or -1 for any)"));
    if (d.minor && *d.minor < -1) return fail(bad(path + ".minor", "must be >= 0 (or -1 for any)"));
  }
  return {};
}

Status check_seccomp(const Seccomp& s) {
  const std::string base = "linux.seccomp";
  auto check_action = [](const std::string& action, const std::string& path) -> Status {
    if (!is_known_seccomp_action(action)) return fail(bad(path, "unknown action " + quoted(action)));
    if (action == "SCMP_ACT_NOTIFY") return fail(bad(path, "SCMP_ACT_NOTIFY is not supported"));
    return {};
  };
  ECSD_TRY(check_action(s.default_action, base + ".defaultAction"));
  for (size_t i = 0; i < s.architectures.size(); ++i)
    if (!is_known_seccomp_arch(s.architectures[i]))
      return fail(bad(at(base + ".architectures", i), "unknown architecture " + quoted(s.architectures[i])));
  for (size_t i = 0; i < s.flags.size(); ++i) {
    auto f = seccomp_flag_value(s.flags[i]);
    if (!f) return fail(bad(at(base + ".flags", i), "unknown flag " + quoted(s.flags[i])));
    if (s.flags[i] == "SECCOMP_FILTER_FLAG_NEW_LISTENER")
      return fail(bad(at(base + ".flags", i), "SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported"));
  }
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const auto& c = s.syscalls[i];
    const std::string path = at(base + ".syscalls", i);
    if (c.names.empty()) return fail(bad(path + ".names", "must not be empty"));
    for (size_t n = 0; n < c.names.size(); ++n)
      if (c.names[n].empty()) return fail(bad(at(path + ".names", n), "must not be empty"));
    ECSD_TRY(check_action(c.action, path + ".action"));
    for (size_t a = 0; a < c.args.size(); ++a) {
      const auto& arg = c.args[a];
      const std::string apath = at(path + ".args", a);
      if (arg.index > 5) return fail(bad(apath + ".index", "must be in 0..5, got " + std::to_string(arg.index)));
      if (!is_known_seccomp_op(arg.op)) return fail(bad(apath + ".op", "unknown operator " + quoted(arg.op)));
    }
  }
  return {};
}

Status check_linux(const Spec& s) {
  const Linux& l = s.linux;
  std::set<std::string> types;
  for (size_t i = 0; i < l.namespaces.size(); ++i) {
    const auto& n = l.namespaces[i];
    const std::string path = at("linux.namespaces", i);
    bool known = false;
    for (const char* k : kNamespaces) known = known || n.type == k;
    if (!known) return fail(bad(path + ".type", "unknown namespace type " + quoted(n.type)));
    if (!types.insert(n.type).second) return fail(bad(path + ".type", "duplicate namespace type " + quoted(n.type)));
    if (!n.path.empty() && !absolute(n.path))
      return fail(bad(path + ".path", "must be an absolute path, got " + quoted(n.path)));
  }
  const Namespace* user = s.find_namespace("user");
  const bool new_user_ns = user != nullptr && user->path.empty();
  if (new_user_ns && l.uid_mappings.empty())
    return fail(bad("linux.uidMappings", "required when a new user namespace is requested"));
  if (new_user_ns && l.gid_mappings.empty())
    return fail(bad("linux.gidMappings", "required when a new user namespace is requested"));
  if (!new_user_ns && !l.uid_mappings.empty())
    return fail(bad("linux.uidMappings", "set, but no new user namespace is requested"));
  if (!new_user_ns && !l.gid_mappings.empty())
    return fail(bad("linux.gidMappings", "set, but no new user namespace is requested"));
  ECSD_TRY(check_mappings(l.uid_mappings, "linux.uidMappings"));
  ECSD_TRY(check_mappings(l.gid_mappings, "linux.gidMappings"));

  for (size_t i = 0; i < l.devices.size(); ++i) {
    const auto& d = l.devices[i];
    const std::string path = at("linux.devices", i);
    if (!(d.type == "c" || d.type == "b" || d.type == "u" || d.type == "p"))
      return fail(bad(path + ".type", "must be c, b, u or p, got " + quoted(d.type)));
    if (!absolute(d.path)) return fail(bad(path + ".path", "must be an absolute path, got " + quoted(d.path)));
    if (has_dotdot(d.path)) return fail(bad(path + ".path", "must not contain \"..\""));
    if (d.major < 0 || d.minor < 0) return fail(bad(path, "major and minor must not be negative"));
  }
  if (has_dotdot(l.cgroups_path)) return fail(bad("linux.cgroupsPath", "must not contain \"..\""));
  if (l.resources) ECSD_TRY(check_resources(*l.resources));
  static const char* kProp[] = {"", "private", "rprivate", "slave", "rslave", "shared", "rshared",
                                "unbindable", "runbindable"};
  bool prop_ok = false;
  for (const char* p : kProp) prop_ok = prop_ok || l.rootfs_propagation == p;
  if (!prop_ok) return fail(bad("linux.rootfsPropagation", "unknown propagation " + quoted(l.rootfs_propagation)));
  for (size_t i = 0; i < l.masked_paths.size(); ++i)
    if (!absolute(l.masked_paths[i])) return fail(bad(at("linux.maskedPaths", i), "must be an absolute path"));
  for (size_t i = 0; i < l.readonly_paths.size(); ++i)
    if (!absolute(l.readonly_paths[i])) return fail(bad(at("linux.readonlyPaths", i), "must be an absolute path"));
  for (const auto& [k, v] : l.sysctl)
    if (k.empty() || k.find('/') != std::string::npos || has_dotdot(k) || k.find("..") != std::string::npos)
      return fail(bad("linux.sysctl", "invalid key " + quoted(k)));
  if (l.seccomp) ECSD_TRY(check_seccomp(*l.seccomp));
  if (!l.mount_label.empty()) return fail(bad("linux.mountLabel", "SELinux is not supported"));
  return {};
}

}  // namespace

Status validate_spec(const Spec& s) {
  if (s.root.path.empty()) return fail(bad("root.path", "must not be empty"));
  ECSD_TRY(check_process(s.process));
  if (!s.hostname.empty() && !s.has_namespace("uts"))
    return fail(bad("hostname", "setting a hostname requires a new uts namespace"));
  for (size_t i = 0; i < s.mounts.size(); ++i) {
    const auto& m = s.mounts[i];
    const std::string path = at("mounts", i);
    if (!absolute(m.destination))
      return fail(bad(path + ".destination", "must be an absolute path, got " + quoted(m.destination)));
    if (has_dotdot(m.destination)) return fail(bad(path + ".destination", "must not contain \"..\""));
    bool is_bind = m.type == "bind";
    for (const auto& o : m.options) is_bind = is_bind || o == "bind" || o == "rbind";
    if (is_bind && m.source.empty()) return fail(bad(path + ".source", "a bind mount needs a source"));
    if (!is_bind && m.type.empty()) return fail(bad(path + ".type", "must not be empty (except for bind mounts)"));
  }
  ECSD_TRY(check_linux(s));
  return {};
}

}  // namespace ecsd::runtime
