#include "agent/engine/engine.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <unistd.h>

#include <malloc.h>

#include <algorithm>
#include <cstdlib>

#include "agent/engine/engine_impl.h"
#include "agent/engine/spawn.h"
#include "agent/engine/task_network.h"
#include "agent/task/acs_task_parser.h"
#include "agent/task/task_definition_parser.h"
#include "common/file_util.h"
#include "runtime/defaults.h"
#include "runtime/shim_path.h"

namespace ecsd::engine {

const task::ContainerModel* model_of(const TaskRecord& t, const std::string& name) {
  return t.model.find_container(name);
}

int64_t stop_timeout_ms(const EngineConfig& cfg, const task::ContainerModel& m) {
  return m.stop_timeout_s ? *m.stop_timeout_s * 1000 : cfg.stop_timeout_ms;
}

Result<int64_t> parse_duration_ms(std::string_view s) {
  s = trim(s);
  if (s.empty()) return fail_invalid("empty duration");
  bool all_digits = std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (all_digits) return std::atoll(std::string(s).c_str()) * 1000;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    if (j == i) return fail_invalid("duration \"" + std::string(s) + "\": expected a number at position " + std::to_string(i));
    double v = std::atof(std::string(s.substr(i, j - i)).c_str());
    size_t k = j;
    while (k < s.size() && !((s[k] >= '0' && s[k] <= '9') || s[k] == '.')) ++k;
    std::string_view unit = s.substr(j, k - j);
    double mult;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60000;
    else if (unit == "h") mult = 3600000;
    else return fail_invalid("duration \"" + std::string(s) + "\": unknown unit \"" + std::string(unit) + "\" (use ms, s, m, h)");
    total += static_cast<int64_t>(v * mult);
    i = k;
  }
  return total;
}

Result<EngineConfig> config_from_env(std::string data_dir) {
  EngineConfig c;
  c.data_dir = std::move(data_dir);
  auto dur = [&](const char* var, int64_t& out) -> Status {
    if (const char* v = std::getenv(var); v && *v) {
      auto d = parse_duration_ms(v);
      if (!d) return fail(d.error().with_context(var));
      out = *d;
    }
    return {};
  };
  ECSD_TRY(dur("ECS_CONTAINER_STOP_TIMEOUT", c.stop_timeout_ms));
  ECSD_TRY(dur("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", c.cleanup_wait_ms));
  ECSD_TRY(dur("ECS_CONTAINER_START_TIMEOUT", c.default_start_timeout_ms));
  auto str = [](const char* var, std::string& out) {
    if (const char* v = std::getenv(var); v && *v) out = v;
  };
  str("ECSD_BRIDGE_NAME", c.network.bridge_name);
  str("ECSD_BRIDGE_SUBNET", c.network.subnet);
  str("ECSD_NETWORK_STATE_DIR", c.network.state_dir);
  str("ECSD_NETWORK_RUN_DIR", c.network.run_dir);
  str("ECSD_NFT_TABLE", c.network.nft_table);
  str("ECSD_VETH_PREFIX", c.network.veth_prefix);
  ECSD_TRY(apply_network_env(c.network));
  if (const char* v = std::getenv("ECS_IMAGE_PULL_BEHAVIOR"); v && *v) {
    auto p = image::parse_pull_policy(v);
    if (!p) return fail(p.error().with_context("ECS_IMAGE_PULL_BEHAVIOR"));
    c.pull_policy = *p;
  }
  return c;
}

Engine::Engine(EngineConfig cfg) : cfg_(std::move(cfg)) {}

Engine::~Engine() { shutdown(); }

Result<std::unique_ptr<Engine>> Engine::open(EngineConfig cfg) {
  if (cfg.bin_dir.empty()) {
    // ecsd-shim and ecsd-init sit together: next to ecsd in a build tree,
    // /usr/libexec/ecsd/ when packaged (runtime/shim_path.h lookup order).
    if (auto shim = runtime::find_shim()) cfg.bin_dir = shim->substr(0, shim->rfind('/'));
  }
  if (cfg.bin_dir.empty()) {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
      std::string p(buf, static_cast<size_t>(n));
      cfg.bin_dir = p.substr(0, p.rfind('/'));
    }
  }
  std::unique_ptr<Engine> e(new Engine(std::move(cfg)));
  e->impl_ = std::make_unique<Impl>(e->cfg_);
  Impl& im = *e->impl_;
  const std::string& dd = e->cfg_.data_dir;
  for (const char* sub : {"", "/runtime", "/tasks", "/logs", "/images", "/volumes"})
    ECSD_TRY(make_dirs(dd + sub, 0711));
  im.lock_fd.reset(::open((dd + "/engine.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!im.lock_fd) return fail_sys(errno, "open", dd + "/engine.lock");
  if (::flock(im.lock_fd.get(), LOCK_EX | LOCK_NB) != 0)
    return fail_invalid("another ecsd engine is running on data dir " + dd + " (" + dd + "/engine.lock is locked)");
  auto st = Store::open(dd + "/ecsd.db");
  if (!st) return fail(st.error());
  im.store = std::move(*st);
  auto imgs = Images::open(dd + "/images", e->cfg_.pull_policy);
  if (!imgs) return fail(imgs.error());
  im.images = std::move(*imgs);
  im.images->set_credentials(e->cfg_.registry_credentials);
  im.wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  im.capacity = e->cfg_.capacity ? *e->cfg_.capacity : detect_host_capacity();
  auto h = cgroups::Hierarchy::detect();
  if (!h) return fail(h.error().with_context("detecting cgroups"));
  im.hierarchy = std::move(*h);
  auto bs = runtime::docker_default_spec();
  if (!bs) return fail(bs.error().with_context("default container spec"));
  im.base_spec = std::move(*bs);
  auto hb = runtime::host_bounding_set();
  if (!hb) return fail(hb.error());
  im.host_bounding = *hb;
  im.last_seq = im.store->last_seq();
  ECSD_TRY(im.recover());
  im.thread = std::thread([&im] { im.loop(); });
  return e;
}

void Engine::shutdown() {
  if (!impl_) return;
  {
    std::lock_guard g(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  for (auto& t : impl_->pull_threads)
    if (t.first.joinable()) t.first.join();
  impl_->ev_cv.notify_all();
}

void Engine::Impl::wake() {
  uint64_t one = 1;
  if (wake_fd) (void)!::write(wake_fd.get(), &one, sizeof one);
}

namespace {

Result<task::Task> parse_source(SourceKind kind, const std::string& json, std::vector<std::string>* notes) {
  if (kind == SourceKind::acs) return task::parse_acs_task(json, notes);
  return task::parse_task_definition(json, notes);
}

// What the engine can run; errors name the field.
Status check_supported(const task::Task& t) {
  switch (t.network_mode) {
    case task::NetworkMode::host:
    case task::NetworkMode::none:
    case task::NetworkMode::bridge: break;
    case task::NetworkMode::awsvpc:
      return fail_invalid("networkMode: awsvpc is not supported by ecsd; use \"bridge\" (the default), \"host\" or \"none\"");
  }
  if (t.pid_mode == "task") return fail_invalid("pidMode: \"task\" is not supported by ecsd yet");
  if (t.ipc_mode == "task") return fail_invalid("ipcMode: \"task\" is not supported by ecsd yet");
  for (size_t i = 0; i < t.volumes.size(); ++i) {
    const auto& v = t.volumes[i];
    std::string f = "volumes[" + std::to_string(i) + "]";
    if (v.kind == task::VolumeKind::unsupported)
      return fail_invalid(f + ": volume type " + v.unsupported_type + " is not supported by ecsd");
    if (v.kind == task::VolumeKind::docker && v.docker.driver != "local")
      return fail_invalid(f + ".dockerVolumeConfiguration.driver: only \"local\" is supported, got \"" +
                          v.docker.driver + "\"");
  }
  for (size_t i = 0; i < t.containers.size(); ++i) {
    const auto& c = t.containers[i];
    std::string f = "containerDefinitions[" + std::to_string(i) + "]";
    for (size_t j = 0; j < c.environment_files.size(); ++j)
      if (c.environment_files[j].type != "file")
        return fail_invalid(f + ".environmentFiles[" + std::to_string(j) + "].type: \"" + c.environment_files[j].type +
                            "\" is not supported by ecsd (use \"file\" with a local path)");
    if (c.log_configuration.driver != "json-file" && c.log_configuration.driver != "none")
      return fail_invalid(f + ".logConfiguration.logDriver: \"" + c.log_configuration.driver +
                          "\" is not supported by ecsd (json-file, none)");
    for (size_t j = 0; j < c.linux_parameters.devices.size(); ++j)
      if (::access(c.linux_parameters.devices[j].host_path.c_str(), F_OK) != 0)
        return fail_invalid(f + ".linuxParameters.devices[" + std::to_string(j) + "].hostPath: " +
                            c.linux_parameters.devices[j].host_path + " does not exist");
    for (size_t j = 0; j < c.environment_files.size(); ++j)
      if (::access(c.environment_files[j].value.c_str(), R_OK) != 0)
        return fail_invalid(f + ".environmentFiles[" + std::to_string(j) + "].value: cannot read " +
                            c.environment_files[j].value);
  }
  return {};
}

}  // namespace

Result<std::string> Engine::submit(SourceKind kind, const std::string& json, const std::string& arn) {
  auto model = parse_source(kind, json, nullptr);
  if (!model) return fail(model.error());
  ECSD_TRY(check_supported(*model));
  ECSD_TRY(fits_capacity(task_need(*model), impl_->capacity));
  TaskRecord t;
  t.id = new_task_id();
  t.arn = !arn.empty() ? arn : model->arn;
  t.source = kind;
  t.source_json = json;
  t.model = std::move(*model);
  t.created_at_ms = now_ms();
  for (const auto& c : t.model.containers) {
    ContainerRecord r;
    r.name = c.name;
    r.runtime_id = t.id.substr(0, 12) + "-" + c.name;
    r.essential = c.essential;
    t.containers.push_back(std::move(r));
  }
  std::lock_guard g(impl_->mu);
  if (impl_->stopping) return fail_invalid("the engine is shutting down");
  if (!t.arn.empty())
    for (auto& [id, other] : impl_->tasks)
      if (other.arn == t.arn) return id;  // ACS may send a task again
  std::vector<StateChange> ev{impl_->task_event(t)};
  impl_->commit(t, ev);
  std::string id = t.id;
  impl_->order.push_back(id);
  impl_->tasks.emplace(id, std::move(t));
  impl_->wake();
  return id;
}

Status Engine::stop(const std::string& task, const std::string& reason) {
  std::lock_guard g(impl_->mu);
  TaskRecord* found = nullptr;
  for (auto& [id, t] : impl_->tasks)
    if (id == task || t.arn == task || (task.size() >= 4 && id.rfind(task, 0) == 0)) {
      if (found) return fail_invalid("task id prefix " + task + " is ambiguous");
      found = &t;
    }
  if (!found) return fail_invalid("no such task: " + task);
  if (found->desired != task::TaskStatus::stopped) {
    found->desired = task::TaskStatus::stopped;
    if (found->stopped_reason.empty()) found->stopped_reason = reason;
    found->stopping_at_ms = now_ms();
    std::vector<StateChange> ev;
    impl_->commit(*found, ev);
  }
  impl_->wake();
  return {};
}

Result<TaskRecord> Engine::task(const std::string& key) const {
  std::lock_guard g(impl_->mu);
  const TaskRecord* found = nullptr;
  for (const auto& [id, t] : impl_->tasks)
    if (id == key || t.arn == key || (key.size() >= 4 && id.rfind(key, 0) == 0)) {
      if (found && found != &t) return fail_invalid("task id prefix " + key + " is ambiguous");
      found = &t;
    }
  if (!found) return fail_invalid("no such task: " + key);
  return *found;
}

std::vector<TaskRecord> Engine::tasks() const {
  std::lock_guard g(impl_->mu);
  std::vector<TaskRecord> out;
  for (const auto& id : impl_->order)
    if (auto it = impl_->tasks.find(id); it != impl_->tasks.end()) out.push_back(it->second);
  return out;
}

std::vector<StateChange> Engine::events_after(uint64_t after) const {
  std::lock_guard g(impl_->mu);
  auto r = impl_->store->events_after(after);
  return r ? *r : std::vector<StateChange>{};
}

std::vector<StateChange> Engine::wait_events(uint64_t after, int timeout_ms) const {
  std::unique_lock lk(impl_->mu);
  impl_->ev_cv.wait_for(lk, std::chrono::milliseconds(timeout_ms),
                        [&] { return impl_->last_seq.load() > after || impl_->stopping; });
  auto r = impl_->store->events_after(after);
  return r ? *r : std::vector<StateChange>{};
}

std::string Engine::waiting_reason(const std::string& task_id) const {
  std::lock_guard g(impl_->mu);
  auto it = impl_->waiting_reason.find(task_id);
  return it == impl_->waiting_reason.end() ? std::string() : it->second;
}

uint64_t Engine::last_seq() const { return impl_->last_seq.load(); }

std::string Engine::log_path(const std::string& task_id, const std::string& container) const {
  return impl_->logs_dir(task_id) + "/" + container + ".log";
}

StateChange Engine::Impl::container_event(const TaskRecord& t, const ContainerRecord& c) const {
  StateChange e;
  e.task_id = t.id;
  e.task_arn = t.arn;
  e.container = c.name;
  e.status = std::string(task::to_string(c.known));
  if (c.known == task::ContainerStatus::stopped) {
    e.exit_code = c.exit_code;
    e.reason = c.reason;
  }
  e.bindings = c.bindings;
  return e;
}

StateChange Engine::Impl::task_event(const TaskRecord& t) const {
  StateChange e;
  e.task_id = t.id;
  e.task_arn = t.arn;
  e.status = std::string(task::to_string(t.known));
  if (t.known == task::TaskStatus::stopped) e.reason = t.stopped_reason;
  return e;
}

// Caller holds mu.
void Engine::Impl::commit(TaskRecord& t, std::vector<StateChange>& ev) {
  if (auto s = store->save(t, &ev); !s) {
    std::fprintf(stderr, "ecsd engine: saving task %s: %s\n", t.id.c_str(), s.error().message.c_str());
    return;
  }
  for (const auto& e : ev) {
    last_seq = std::max<uint64_t>(last_seq.load(), e.seq);
    if (cfg.on_change) cfg.on_change(e);
  }
  if (!ev.empty()) ev_cv.notify_all();
  ev.clear();
}

Status Engine::Impl::recover() {
  auto loaded = store->load();
  if (!loaded) return fail(loaded.error());
  for (auto& t : *loaded) {
    auto model = parse_source(t.source, t.source_json, nullptr);
    std::vector<StateChange> ev;
    if (!model) {
      // Cannot happen unless the parser got stricter: stop what we cannot read.
      t.desired = task::TaskStatus::stopped;
      if (t.stopped_reason.empty()) t.stopped_reason = "ecsd could not re-read the task: " + model.error().message;
    } else {
      t.model = std::move(*model);
    }
    bool any_started = false;
    for (auto& c : t.containers) {
      if (c.known == task::ContainerStatus::none || c.known == task::ContainerStatus::pulled) {
        if (rt.exists(c.runtime_id)) adopt_runtime_state(t, c);  // crashed between spawn and save
      }
      if (c.known == task::ContainerStatus::created || c.known == task::ContainerStatus::running) {
        any_started = true;
        UniqueFd pfd = open_pidfd(c.shim_pid);
        if (pfd && process_is(c.shim_pid, "ecsd-shim")) watches[c.runtime_id] = std::move(pfd);
        if (c.known == task::ContainerStatus::running && model && model_of(t, c.name) &&
            model_of(t, c.name)->health_check)
          health[c.runtime_id].next_at_ms = now_ms() + model_of(t, c.name)->health_check->interval_s * 1000;
      }
      if (c.known != task::ContainerStatus::none) any_started = true;
    }
    if (t.known != task::TaskStatus::stopped && any_started && model) {
      admitted.insert(t.id);
      used += task_need(t.model);
    }
    commit(t, ev);
    order.push_back(t.id);
    tasks.emplace(t.id, std::move(t));
  }
  // Bridge networks of tasks that still run are kept; everything else of
  // ours (a crash between setup and save, stopped tasks) is torn down.
  std::vector<std::string> keep;
  for (const auto& [id, t] : tasks)
    if (t.known != task::TaskStatus::stopped && t.model.network_mode == task::NetworkMode::bridge) keep.push_back(id);
  if (!keep.empty() || network_state_exists(cfg.network)) {
    if (auto s = open_network(); !s) {
      std::fprintf(stderr, "ecsd engine: bridge networking: %s\n", s.error().message.c_str());
    } else {
      for (const auto& id : keep)
        if (auto tn = network->lookup(id)) task_networks[id] = std::move(*tn);
    }
  }
  return {};
}

void Engine::Impl::loop() {
  int idle_ticks = 0;
  for (;;) {
    std::vector<pollfd> fds;
    {
      std::lock_guard g(mu);
      if (stopping) return;
      fds.push_back({wake_fd.get(), POLLIN, 0});
      for (auto& [rid, fd] : watches) fds.push_back({fd.get(), POLLIN, 0});
      for (auto& [rid, h] : health)
        if (h.run) {
          fds.push_back({h.run->pidfd.get(), POLLIN, 0});
          if (h.run->out) fds.push_back({h.run->out.get(), POLLIN, 0});
        }
    }
    int64_t timeout = 1000;
    {
      std::lock_guard g(mu);
      int64_t nt = next_timer_ms();
      if (nt > 0) timeout = std::clamp<int64_t>(nt - now_ms(), 0, 1000);
    }
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(timeout));
    if (n == 0 && ++idle_ticks == 1) ::malloc_trim(0);  // after ~1 s idle: give back what a burst of work used
    if (n > 0) idle_ticks = 0;
    uint64_t v;
    while (::read(wake_fd.get(), &v, sizeof v) > 0) {
    }
    std::lock_guard g(mu);
    if (stopping) return;
    step_all();
  }
}

}  // namespace ecsd::engine
