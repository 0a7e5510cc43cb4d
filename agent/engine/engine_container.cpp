// Creating, starting and stopping one container through ecsd-shim, and the
// per-container files (bundle, resolv.conf, hosts, hostname, log rotation).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/engine/container_config.h"
#include "agent/engine/engine_impl.h"
#include "agent/engine/spawn.h"
#include "common/file_util.h"
#include "netns/dns_files.h"
#include "runtime/defaults.h"
#include "runtime/lifecycle.h"
#include "runtime/path_in_root.h"
#include "runtime/signals.h"

namespace ecsd::engine {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::string read_in_root(const std::string& rootfs, const char* path) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return {};
  auto fd = runtime::open_in_root(root.get(), path, O_RDONLY | O_CLOEXEC);
  if (!fd) return {};
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n <= 0 || out.size() > (4u << 20)) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<runtime::Device> stat_device(const task::DeviceMapping& d) {
  struct stat st {};
  if (::stat(d.host_path.c_str(), &st) != 0) return fail_sys(errno, "stat device", d.host_path);
  runtime::Device dev;
  if (S_ISCHR(st.st_mode)) dev.type = "c";
  else if (S_ISBLK(st.st_mode)) dev.type = "b";
  else return fail_invalid(d.host_path + " is not a device node");
  dev.path = d.container_path.empty() ? d.host_path : d.container_path;
  dev.major = major(st.st_rdev);
  dev.minor = minor(st.st_rdev);
  dev.file_mode = st.st_mode & 07777;
  dev.uid = st.st_uid;
  dev.gid = st.st_gid;
  return dev;
}

int64_t log_option_bytes(const std::map<std::string, std::string>& opts, const char* key) {
  auto it = opts.find(key);
  if (it == opts.end() || it->second.empty()) return 0;
  const std::string& v = it->second;
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  int64_t mult = 1;
  if (unit == "k" || unit == "K" || unit == "kb" || unit == "KB") mult = 1000;
  else if (unit == "m" || unit == "M" || unit == "mb" || unit == "MB") mult = 1000 * 1000;
  else if (unit == "g" || unit == "G" || unit == "gb" || unit == "GB") mult = 1000 * 1000 * 1000;
  return static_cast<int64_t>(n * static_cast<double>(mult));
}

}  // namespace

Status Engine::Impl::open_network() {
  if (network) return {};
  auto n = netns::Network::open(cfg.network);
  if (!n) return fail(n.error().with_context("bridge networking"));
  network = std::move(*n);
  // Keep the networks of our running bridge tasks; remove what a crash
  // between setup and saving left behind.
  std::vector<std::string> keep;
  for (const auto& [id, t] : tasks)
    if (t.known != task::TaskStatus::stopped && t.model.network_mode == task::NetworkMode::bridge) keep.push_back(id);
  auto rep = network->recover(keep);
  for (const auto& e : rep.errors) std::fprintf(stderr, "ecsd engine: network recovery: %s\n", e.message.c_str());
  return {};
}

Result<const netns::TaskNetwork*> Engine::Impl::task_network(TaskRecord& t) {
  if (auto it = task_networks.find(t.id); it != task_networks.end()) return &it->second;
  ECSD_TRY(open_network());
  if (auto tn = network->lookup(t.id)) return &(task_networks[t.id] = std::move(*tn));
  netns::TaskNetworkRequest req;
  req.id = t.id;
  req.mode = netns::Mode::bridge;
  for (const auto& c : t.model.containers)
    for (const auto& p : c.port_mappings) {
      netns::PortMapping pm;
      if (!p.container_port_range.empty()) {
        auto dash = p.container_port_range.find('-');
        pm.container_port = static_cast<uint16_t>(std::atoi(p.container_port_range.c_str()));
        if (dash != std::string::npos)
          pm.container_port_end = static_cast<uint16_t>(std::atoi(p.container_port_range.c_str() + dash + 1));
      } else {
        pm.container_port = static_cast<uint16_t>(p.container_port);
        pm.host_port = static_cast<uint16_t>(p.host_port.value_or(0));
      }
      pm.protocol = p.protocol == "udp" ? netns::Protocol::udp : netns::Protocol::tcp;
      req.port_mappings.push_back(pm);
    }
  auto tn = network->setup(req);
  if (!tn) return fail(tn.error().with_context("networkMode bridge"));
  return &(task_networks[t.id] = std::move(*tn));
}

void Engine::Impl::teardown_network(const TaskRecord& t) {
  if (t.model.network_mode != task::NetworkMode::bridge || !network) return;
  if (auto s = network->teardown(t.id); !s)
    std::fprintf(stderr, "ecsd engine: network teardown %s: %s\n", t.id.c_str(), s.error().message.c_str());
  task_networks.erase(t.id);
}

std::string Engine::Impl::container_dir(const TaskRecord& t, const ContainerRecord& c) const {
  return task_dir(t.id) + "/" + c.name;
}

Status Engine::Impl::ensure_task_cgroup(const TaskRecord& t) {
  auto cg = cgroups::Cgroup::create(*hierarchy, "ecsd/" + t.id);
  if (!cg) return fail(cg.error().with_context("task cgroup"));
  cgroups::Resources r;
  if (t.model.cpu_units) {
    r.cpu_period_us = 100000;
    r.cpu_quota_us = std::max<int64_t>(1000, *t.model.cpu_units * 100000 / 1024);
  }
  if (t.model.memory_mib) r.memory_limit = *t.model.memory_mib * kMiB;
  if (r.cpu_quota_us || r.memory_limit) {
    if (auto s = cg->apply(r); !s) return fail(s.error().with_context("task-level cpu/memory"));
  }
  return {};
}

Status Engine::Impl::create_container(TaskRecord& t, ContainerRecord& c) {
  static const bool trace = std::getenv("ECSD_ENGINE_TRACE") != nullptr;
  int64_t t0 = now_ms();
  auto mark = [&](const char* what) {
    if (trace) std::fprintf(stderr, "ecsd trace: %s %s +%lld ms\n", c.runtime_id.c_str(), what, static_cast<long long>(now_ms() - t0));
  };
  const task::ContainerModel& m = *model_of(t, c.name);
  const task::Task& task = t.model;
  // Image (after a restart the pulled image is looked up in the store again).
  auto it = ready_images.find(c.runtime_id);
  ReadyImage img;
  if (it != ready_images.end()) {
    img = it->second;
  } else {
    auto cached = images->cached(m.image);
    if (!cached) return fail(cached.error());
    img = std::move(*cached);
  }
  ECSD_TRY(ensure_task_cgroup(t));
  std::string dir = container_dir(t, c);
  ECSD_TRY(make_dirs(dir, 0700));  // config.json holds the environment
  ECSD_TRY(make_dirs(logs_dir(t.id), 0750));
  std::string rootfs = dir + "/rootfs";
  mark("cgroup+image");
  ECSD_TRY(images->mount_rootfs(img, dir + "/overlay", rootfs));
  c.rootfs_mounted = true;
  mark("rootfs mounted");

  ContainerInputs in;
  in.task = &task;
  in.container = &m;
  in.image = img.config;
  in.base = *base_spec;
  in.rootfs = rootfs;
  in.passwd = read_in_root(rootfs, "/etc/passwd");
  in.group = read_in_root(rootfs, "/etc/group");
  in.cgroups_path = "ecsd/" + t.id + "/" + c.name;
  in.host_network = task.network_mode == task::NetworkMode::host;
  const netns::TaskNetwork* tnet = nullptr;
  if (task.network_mode == task::NetworkMode::bridge) {
    auto tn = task_network(t);
    if (!tn) return fail(tn.error());
    tnet = *tn;
    in.netns_path = tnet->netns_path;
  }
  in.host_bounding = host_bounding;
  if (m.privileged) {
    auto devs = runtime::list_host_devices();
    if (!devs) return fail(devs.error().with_context("privileged"));
    in.host_devices = std::move(*devs);
  }
  in.hostname = !m.hostname.empty() ? m.hostname : in.host_network ? host_name() : t.id.substr(0, 12);
  std::string init = cfg.bin_dir + "/ecsd-init";
  if (::access(init.c_str(), X_OK) == 0) in.init_path = init;
  for (size_t i = 0; i < m.linux_parameters.devices.size(); ++i) {
    auto d = stat_device(m.linux_parameters.devices[i]);
    if (!d) return fail(d.error().with_context("linuxParameters.devices[" + std::to_string(i) + "]"));
    in.devices.push_back(*d);
  }
  for (size_t i = 0; i < m.environment_files.size(); ++i) {
    const auto& f = m.environment_files[i];
    auto text = read_file(f.value);
    if (!text) return fail(text.error().with_context("environmentFiles[" + std::to_string(i) + "]"));
    auto lines = parse_env_file(*text, f.value);
    if (!lines) return fail(lines.error());
    in.env_files.insert(in.env_files.end(), lines->begin(), lines->end());
  }
  // Volumes.
  auto volume_source = [&](const std::string& name, std::string& out) -> Status {
    const task::Volume* v = task.find_volume(name);
    if (!v) return fail_invalid("mountPoints: sourceVolume \"" + name + "\" is not a volume of the task");
    switch (v->kind) {
      case task::VolumeKind::host:
        out = v->source_path;
        ECSD_TRY(make_dirs(out, 0755));
        return {};
      case task::VolumeKind::task_empty:
        out = task_dir(t.id) + "/volumes/" + name;
        return make_dirs(out, 0755);
      case task::VolumeKind::docker:
        out = v->docker.scope == "shared" ? cfg.data_dir + "/volumes/" + name : task_dir(t.id) + "/volumes/" + name;
        return make_dirs(out, 0755);
      case task::VolumeKind::unsupported:
        return fail_invalid("volume \"" + name + "\": type " + v->unsupported_type + " is not supported");
    }
    return {};
  };
  for (const auto& mp : m.mount_points) {
    ResolvedMount rm;
    ECSD_TRY(volume_source(mp.source_volume, rm.source));
    rm.destination = mp.container_path;
    rm.read_only = mp.read_only;
    in.mounts.push_back(rm);
  }
  for (const auto& vf : m.volumes_from) {
    const task::ContainerModel* src = task.find_container(vf.source_container);
    if (!src) return fail_invalid("volumesFrom: sourceContainer \"" + vf.source_container + "\" is not in the task");
    for (const auto& mp : src->mount_points) {
      ResolvedMount rm;
      ECSD_TRY(volume_source(mp.source_volume, rm.source));
      rm.destination = mp.container_path;
      rm.read_only = vf.read_only || mp.read_only;
      in.mounts.push_back(rm);
    }
  }
  // resolv.conf, hosts, hostname.
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& h : m.extra_hosts) extra.emplace_back(h.hostname, h.ip_address);
  auto host_resolv = read_file("/etc/resolv.conf").value_or("");
  if (netns::only_localhost_nameservers(host_resolv) && !in.host_network)
    host_resolv = read_file("/run/systemd/resolve/resolv.conf").value_or(host_resolv);
  std::string resolv;
  if (in.host_network && m.dns_servers.empty() && m.dns_search_domains.empty())
    resolv = host_resolv;
  else
    resolv = netns::render_resolv_conf({m.dns_servers, m.dns_search_domains}, host_resolv);
  std::string hosts = in.host_network
                          ? netns::render_host_mode_hosts(read_file("/etc/hosts").value_or(""), extra)
                          : netns::render_hosts(in.hostname, tnet ? tnet->ip : "", extra);
  in.resolv_conf_path = dir + "/resolv.conf";
  in.hosts_path = dir + "/hosts";
  in.hostname_path = dir + "/hostname";
  // Not fsynced: a crash before CREATED is recorded redoes all of this.
  ECSD_TRY(runtime::write_file_replace(in.resolv_conf_path, resolv, false));
  ECSD_TRY(runtime::write_file_replace(in.hosts_path, hosts, false));
  ECSD_TRY(runtime::write_file_replace(in.hostname_path, netns::render_hostname(in.hostname), false));

  mark("files written");
  auto spec = build_container_spec(in);
  if (!spec) return fail(spec.error());
  ECSD_TRY(runtime::write_file_replace(dir + "/config.json", runtime::spec_to_json(*spec).dump(), false));

  // Launch through the shim: it stays as the container's parent.
  std::string log = m.log_configuration.driver == "none" ? "/dev/null" : logs_dir(t.id) + "/" + c.name + ".log";
  auto pipe = make_pipe();
  if (!pipe) return fail(pipe.error());
  UniqueFd shim_err(::open((dir + "/shim.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  SpawnRequest sr;
  sr.argv = {cfg.bin_dir + "/ecsd-shim", "run",   "--root",      rt.root(), "--id",     c.runtime_id,
             "--bundle",                 dir,     "--log",       log,       "--ready-fd", "3",
             "--detach",                 "--wait-start"};
  sr.fd3 = pipe->second.get();
  sr.stderr_fd = shim_err ? shim_err.get() : -1;
  sr.stdout_fd = sr.stderr_fd;
  mark("spec written");
  auto pid = spawn_process(sr);
  pipe->second.reset();
  if (!pid) return fail(pid.error());
  int st = 0;
  while (::waitpid(*pid, &st, 0) < 0 && errno == EINTR) {
  }
  std::string line;
  pollfd p{pipe->first.get(), POLLIN, 0};
  int64_t deadline = now_ms() + 120000;
  while (line.find('\n') == std::string::npos) {
    int left = static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
    if (::poll(&p, 1, left) <= 0) break;
    char buf[4096];
    ssize_t n = ::read(pipe->first.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  mark("shim ready");
  if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  if (line.rfind("ok ", 0) != 0) {
    if (line.rfind("error ", 0) == 0) return fail_invalid(line.substr(6));
    auto err = read_file(dir + "/shim.err").value_or("");
    return fail_invalid("ecsd-shim did not report the container started" + (err.empty() ? "" : ": " + std::string(trim(err))));
  }
  auto state = rt.read_state(c.runtime_id);
  if (!state) return fail(state.error());
  c.pid = state->pid;
  c.shim_pid = state->shim_pid;
  c.known = task::ContainerStatus::created;
  c.created_at_ms = now_ms();
  // Host mode: the container's ports are the host's.
  c.bindings.clear();
  if (in.host_network)
    for (const auto& p : m.port_mappings)
      if (p.container_port > 0)
        c.bindings.push_back({"0.0.0.0", static_cast<int>(p.container_port),
                              static_cast<int>(p.host_port.value_or(p.container_port)), p.protocol});
  if (tnet)
    for (const auto& b : tnet->bindings) {
      std::string proto = b.protocol == netns::Protocol::udp ? "udp" : "tcp";
      for (const auto& p : m.port_mappings) {
        bool in_range = false;
        if (!p.container_port_range.empty()) {
          int lo = std::atoi(p.container_port_range.c_str());
          auto dash = p.container_port_range.find('-');
          int hi = dash == std::string::npos ? lo : std::atoi(p.container_port_range.c_str() + dash + 1);
          in_range = b.container_port >= lo && b.container_port <= hi;
        }
        if ((p.container_port == b.container_port || in_range) && p.protocol == proto) {
          c.bindings.push_back({b.bind_ip, b.container_port, b.host_port, proto});
          break;
        }
      }
    }
  if (UniqueFd pfd = open_pidfd(c.shim_pid)) watches[c.runtime_id] = std::move(pfd);
  ready_images.erase(c.runtime_id);
  return {};
}

Status Engine::Impl::start_container(TaskRecord& t, ContainerRecord& c) {
  (void)t;
  if (auto s = runtime::start_created(rt, c.runtime_id); !s) return s;
  c.known = task::ContainerStatus::running;
  c.started_at_ms = now_ms();
  return {};
}

void Engine::Impl::adopt_runtime_state(TaskRecord& t, ContainerRecord& c) {
  (void)t;
  auto state = rt.read_state(c.runtime_id);
  if (!state) return;  // a half-created state dir: the shim cleans it up on failure
  c.pid = state->pid;
  c.shim_pid = state->shim_pid;
  auto st = rt.status(*state);
  c.known = st == runtime::ContainerStatus::kCreated ? task::ContainerStatus::created : task::ContainerStatus::running;
  if (c.created_at_ms == 0) c.created_at_ms = now_ms();
  if (c.known == task::ContainerStatus::running && c.started_at_ms == 0) c.started_at_ms = now_ms();
  c.rootfs_mounted = true;
}

void Engine::Impl::send_stop(TaskRecord& t, ContainerRecord& c) {
  int sig = SIGTERM;
  const task::ContainerModel* m = model_of(t, c.name);
  if (m) {
    auto img = images->cached(m->image);
    if (img) sig = stop_signal(img->config);
  }
  runtime::kill_container(rt, c.runtime_id, sig, false);
  c.stop_sent_at_ms = now_ms();
  stop_health(c.runtime_id);
}

// json-file rotation by copy and truncate: the shim keeps its O_APPEND fd,
// so lines written between the copy and the truncate can be lost.
void Engine::Impl::rotate_logs(TaskRecord& t) {
  int64_t now = now_ms();
  if (now < next_rotate_ms) return;
  for (const auto& c : t.containers) {
    if (c.known != task::ContainerStatus::running) continue;
    const task::ContainerModel* m = model_of(t, c.name);
    if (!m || m->log_configuration.driver != "json-file") continue;
    int64_t max = log_option_bytes(m->log_configuration.options, "max-size");
    if (max <= 0) continue;
    int files = 1;
    if (auto it = m->log_configuration.options.find("max-file"); it != m->log_configuration.options.end())
      files = std::max(1, std::atoi(it->second.c_str()));
    std::string path = logs_dir(t.id) + "/" + c.name + ".log";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_size < max) continue;
    std::error_code ec;
    if (files > 1) {
      std::filesystem::remove(path + "." + std::to_string(files - 1), ec);
      for (int i = files - 2; i >= 1; --i)
        std::filesystem::rename(path + "." + std::to_string(i), path + "." + std::to_string(i + 1), ec);
      std::filesystem::copy_file(path, path + ".1", std::filesystem::copy_options::overwrite_existing, ec);
    }
    (void)!::truncate(path.c_str(), 0);
  }
}

}  // namespace ecsd::engine
