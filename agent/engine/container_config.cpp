#include "agent/engine/container_config.h"

#include <algorithm>
#include <csignal>
#include <set>

#include "agent/engine/user_lookup.h"
#include "runtime/defaults.h"
#include "runtime/signals.h"

namespace ecsd::engine {
namespace {

std::string env_key(std::string_view kv) {
  auto p = kv.find('=');
  return std::string(p == std::string_view::npos ? kv : kv.substr(0, p));
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = env_key(kv);
  for (auto& e : env)
    if (env_key(e) == key) {
      e = kv;
      return;
    }
  env.push_back(kv);
}

bool has_env(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& e : env)
    if (env_key(e) == key) return true;
  return false;
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

std::vector<std::string> effective_args(const task::ContainerModel& c, const image::ImageConfig& img) {
  std::vector<std::string> args;
  if (c.entry_point) {
    args = *c.entry_point;
    if (c.command) args.insert(args.end(), c.command->begin(), c.command->end());
  } else {
    args = img.entrypoint;
    const auto& cmd = c.command ? *c.command : img.cmd;
    args.insert(args.end(), cmd.begin(), cmd.end());
  }
  return args;
}

uint64_t cpu_shares(int64_t cpu_units) {
  if (cpu_units < static_cast<int64_t>(kMinCpuShares)) return kMinCpuShares;
  return static_cast<uint64_t>(std::min<int64_t>(cpu_units, 262144));
}

int stop_signal(const image::ImageConfig& img) {
  if (!img.stop_signal.empty())
    if (auto s = runtime::parse_signal(img.stop_signal)) return *s;
  return SIGTERM;
}

Result<std::vector<std::string>> parse_env_file(std::string_view text, std::string_view path) {
  std::vector<std::string> out;
  size_t lineno = 0;
  while (!text.empty()) {
    ++lineno;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos || line[b] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return fail_invalid("environment file " + std::string(path) + " line " + std::to_string(lineno) +
                          ": expected KEY=VALUE");
    out.emplace_back(line);
  }
  return out;
}

std::string device_access(const std::vector<std::string>& permissions) {
  if (permissions.empty()) return "rwm";
  std::string a;
  for (const auto& p : permissions) {
    if (p == "read" && a.find('r') == std::string::npos) a += 'r';
    if (p == "write" && a.find('w') == std::string::npos) a += 'w';
    if (p == "mknod" && a.find('m') == std::string::npos) a += 'm';
  }
  return a.empty() ? "rwm" : a;
}

Result<runtime::Spec> build_container_spec(const ContainerInputs& in) {
  const auto& c = *in.container;
  const auto& img = in.image;
  runtime::Spec s = in.base;
  s.root.path = in.rootfs;
  s.root.readonly = c.readonly_root_filesystem;
  s.linux.cgroups_path = in.cgroups_path;
  s.hostname = in.hostname;

  // Command.
  auto args = effective_args(c, img);
  if (args.empty())
    return fail_invalid("command: no command given (neither entryPoint/command nor the image's Entrypoint/Cmd)");
  if (c.linux_parameters.init_process_enabled) {
    if (in.init_path.empty()) return fail_invalid("linuxParameters.initProcessEnabled: ecsd-init not found");
    args.insert(args.begin(), {kInitPath, "--"});
    s.mounts.push_back({kInitPath, "bind", in.init_path, {"bind", "ro", "nosuid", "nodev"}});
  }
  s.process.args = std::move(args);

  // User.
  std::string user = !c.user.empty() ? c.user : img.user;
  auto ru = resolve_user(user, in.passwd, in.group);
  if (!ru) return fail(ru.error().with_context(c.user.empty() ? "image config User" : "user"));
  s.process.user.uid = ru->uid;
  s.process.user.gid = ru->gid;
  s.process.user.additional_gids = ru->additional_gids;

  // Environment.
  std::vector<std::string> env;
  for (const auto& e : img.env) set_env(env, e);
  for (const auto& e : in.env_files) set_env(env, e);
  for (const auto& kv : c.environment) set_env(env, kv.name + "=" + kv.value);
  if (!has_env(env, "PATH")) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!has_env(env, "HOSTNAME") && !in.hostname.empty()) env.push_back("HOSTNAME=" + in.hostname);
  if (!has_env(env, "HOME")) env.push_back("HOME=" + ru->home);
  s.process.env = std::move(env);

  // Working directory.
  s.process.cwd = !c.working_directory.empty() ? c.working_directory
                  : !img.working_dir.empty()    ? img.working_dir
                                                : "/";
  if (s.process.cwd.empty() || s.process.cwd[0] != '/')
    return fail_invalid("workingDirectory: \"" + s.process.cwd + "\" is not an absolute path");

  // Resources.
  runtime::Resources res = s.linux.resources.value_or(runtime::Resources{});
  runtime::CpuResources cpu;
  cpu.shares = cpu_shares(c.cpu);
  res.cpu = cpu;
  runtime::MemoryResources mem;
  if (c.memory_mib) mem.limit = *c.memory_mib * kMiB;
  if (c.memory_reservation_mib) mem.reservation = *c.memory_reservation_mib * kMiB;
  if (c.linux_parameters.max_swap_mib && c.memory_mib)
    mem.swap = (*c.memory_mib + *c.linux_parameters.max_swap_mib) * kMiB;
  if (c.linux_parameters.swappiness) mem.swappiness = static_cast<uint64_t>(*c.linux_parameters.swappiness);
  if (mem.limit || mem.reservation || mem.swap || mem.swappiness) res.memory = mem;
  s.linux.resources = res;

  // Ulimits.
  for (size_t i = 0; i < c.ulimits.size(); ++i) {
    const auto& u = c.ulimits[i];
    if (u.soft < 0 || u.hard < 0 || u.soft > u.hard)
      return fail_invalid("ulimits[" + std::to_string(i) + "] (" + u.name + "): soft " + std::to_string(u.soft) +
                          " must be between 0 and hard " + std::to_string(u.hard));
    runtime::Rlimit rl;
    rl.type = "RLIMIT_" + upper(u.name);
    rl.soft = static_cast<uint64_t>(u.soft);
    rl.hard = static_cast<uint64_t>(u.hard);
    s.process.rlimits.erase(std::remove_if(s.process.rlimits.begin(), s.process.rlimits.end(),
                                           [&](const runtime::Rlimit& r) { return r.type == rl.type; }),
                            s.process.rlimits.end());
    s.process.rlimits.push_back(rl);
  }

  // Namespaces.
  auto& ns = s.linux.namespaces;
  if (in.host_network) {
    ns.erase(std::remove_if(ns.begin(), ns.end(), [](const runtime::Namespace& n) { return n.type == "network"; }),
             ns.end());
  } else if (!in.netns_path.empty()) {
    for (auto& n : ns)
      if (n.type == "network") n.path = in.netns_path;
  }
  if (in.task->pid_mode == "host")
    ns.erase(std::remove_if(ns.begin(), ns.end(), [](const runtime::Namespace& n) { return n.type == "pid"; }),
             ns.end());
  if (in.task->ipc_mode == "host")
    ns.erase(std::remove_if(ns.begin(), ns.end(), [](const runtime::Namespace& n) { return n.type == "ipc"; }),
             ns.end());

  // Privileged / capabilities.
  if (c.privileged) {
    runtime::make_privileged(s, in.host_bounding, in.host_devices);
  } else if (!c.linux_parameters.cap_add.empty() || !c.linux_parameters.cap_drop.empty()) {
    auto caps = runtime::adjust_capabilities(runtime::docker_default_capabilities(), c.linux_parameters.cap_add,
                                             c.linux_parameters.cap_drop, in.host_bounding);
    if (!caps) return fail(caps.error().with_context("linuxParameters.capabilities"));
    runtime::Capabilities cs;
    cs.bounding = *caps;
    cs.effective = *caps;
    cs.permitted = *caps;
    s.process.capabilities = cs;
  }

  // /dev/shm size, tmpfs.
  if (c.linux_parameters.shared_memory_size_mib) {
    for (auto& m : s.mounts)
      if (m.destination == "/dev/shm") {
        std::erase_if(m.options, [](const std::string& o) { return o.rfind("size=", 0) == 0; });
        m.options.push_back("size=" + std::to_string(*c.linux_parameters.shared_memory_size_mib * 1024) + "k");
      }
  }
  for (const auto& t : c.linux_parameters.tmpfs) {
    runtime::Mount m{t.container_path, "tmpfs", "tmpfs", {"nosuid", "nodev"}};
    if (t.size_mib > 0) m.options.push_back("size=" + std::to_string(t.size_mib * 1024) + "k");
    for (const auto& o : t.mount_options) m.options.push_back(o);
    s.mounts.push_back(std::move(m));
  }

  // Devices.
  if (!c.privileged) {
    if (in.devices.size() != c.linux_parameters.devices.size())
      return fail_invalid("linuxParameters.devices: internal error: devices not resolved");
    runtime::Resources& r = *s.linux.resources;
    for (size_t i = 0; i < in.devices.size(); ++i) {
      s.linux.devices.push_back(in.devices[i]);
      runtime::DeviceCgroupRule rule;
      rule.allow = true;
      rule.type = in.devices[i].type;
      rule.major = in.devices[i].major;
      rule.minor = in.devices[i].minor;
      rule.access = device_access(c.linux_parameters.devices[i].permissions);
      r.devices.push_back(rule);
    }
  }

  // Volumes, then the per-task files (so they win over a volume on /etc).
  for (const auto& m : in.mounts) {
    runtime::Mount mm{m.destination, "bind", m.source, {"rbind", "rprivate"}};
    if (m.read_only) mm.options.push_back("ro");
    s.mounts.push_back(std::move(mm));
  }
  auto bind_file = [&](const std::string& src, const char* dst) {
    if (src.empty()) return;
    runtime::Mount mm{dst, "bind", src, {"bind", "rprivate"}};
    if (c.readonly_root_filesystem) mm.options.push_back("ro");
    s.mounts.push_back(std::move(mm));
  };
  bind_file(in.resolv_conf_path, "/etc/resolv.conf");
  bind_file(in.hosts_path, "/etc/hosts");
  bind_file(in.hostname_path, "/etc/hostname");

  // Labels as annotations.
  for (const auto& [k, v] : c.docker_labels) s.annotations[k] = v;
  return s;
}

}  // namespace ecsd::engine
