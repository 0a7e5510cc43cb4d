// Internal state of the Engine, shared by engine*.cpp. Not a public header.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/engine/engine.h"
#include "agent/engine/images.h"
#include "agent/engine/store.h"
#include "cgroups/cgroup.h"
#include "common/unique_fd.h"
#include "netns/network.h"
#include "runtime/capabilities.h"
#include "runtime/spec.h"
#include "runtime/state_store.h"

namespace ecsd::engine {

struct HealthRun {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd out;
  std::string output;
  int64_t deadline_ms = 0;
};

struct HealthState {
  int64_t next_at_ms = 0;
  int failures = 0;
  std::optional<HealthRun> run;
};

struct PullResult {
  std::string task_id, container;
  Result<ReadyImage> image;
};

struct Engine::Impl {
  explicit Impl(EngineConfig& c) : cfg(c), rt(c.data_dir + "/runtime") {}

  EngineConfig& cfg;
  std::unique_ptr<Store> store;
  std::unique_ptr<Images> images;
  runtime::StateStore rt;
  UniqueFd lock_fd;
  UniqueFd wake_fd;  // eventfd
  HostCapacity capacity;
  std::optional<cgroups::Hierarchy> hierarchy;
  std::optional<runtime::Spec> base_spec;
  runtime::CapMask host_bounding = 0;

  mutable std::mutex mu;
  mutable std::condition_variable ev_cv;
  std::map<std::string, TaskRecord> tasks;  // by id
  std::vector<std::string> order;           // submission order
  std::set<std::string> admitted;
  ResourceNeed used;
  std::map<std::string, std::string> waiting_reason;  // task id -> why it is not starting
  std::map<std::string, UniqueFd> watches;            // runtime id -> pidfd of its shim
  std::map<std::string, HealthState> health;          // runtime id -> health checking
  std::map<std::string, ReadyImage> ready_images;     // runtime id -> pulled image
  std::set<std::string> pulling;                      // runtime ids
  std::map<std::string, int64_t> kill_sent;           // runtime id -> SIGKILL time
  std::map<std::string, int64_t> wait_since;          // runtime id -> dependency wait start
  int64_t next_rotate_ms = 0;
  std::unique_ptr<netns::Network> network;            // bridge mode, opened on first use
  std::map<std::string, netns::TaskNetwork> task_networks;  // task id -> its bridge network
  std::vector<PullResult> pull_results;               // guarded by mu
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> pull_threads;
  std::atomic<uint64_t> last_seq{0};
  bool stopping = false;
  std::thread thread;

  // engine.cpp
  void wake();
  void loop();
  Status recover();
  void commit(TaskRecord& t, std::vector<StateChange>& ev);
  StateChange container_event(const TaskRecord& t, const ContainerRecord& c) const;
  StateChange task_event(const TaskRecord& t) const;

  // engine_step.cpp
  void step_all();
  void step(TaskRecord& t, std::vector<StateChange>& ev);
  void apply_pull_results();
  void check_exit(TaskRecord& t, ContainerRecord& c, std::vector<StateChange>& ev);
  void set_stopped(TaskRecord& t, ContainerRecord& c, std::optional<int> code, std::string reason,
                   std::vector<StateChange>& ev);
  void cleanup(TaskRecord& t);
  int64_t next_timer_ms() const;

  // engine_container.cpp
  Status create_container(TaskRecord& t, ContainerRecord& c);
  Status start_container(TaskRecord& t, ContainerRecord& c);
  void adopt_runtime_state(TaskRecord& t, ContainerRecord& c);
  void send_stop(TaskRecord& t, ContainerRecord& c);
  void rotate_logs(TaskRecord& t);
  Status ensure_task_cgroup(const TaskRecord& t);
  std::string container_dir(const TaskRecord& t, const ContainerRecord& c) const;
  Status open_network();
  Result<const netns::TaskNetwork*> task_network(TaskRecord& t);
  void teardown_network(const TaskRecord& t);

  // task_network.cpp (bridge-mode admission)
  void check_bridge_ports(TaskRecord& t, std::vector<StateChange>& ev);  // static port conflict: fails the task
  void setup_bridge(TaskRecord& t, std::vector<StateChange>& ev);        // after admission; failure fails the task
  void fail_before_start(TaskRecord& t, const std::string& reason, std::vector<StateChange>& ev);
  std::string task_dir(const std::string& id) const { return cfg.data_dir + "/tasks/" + id; }
  std::string logs_dir(const std::string& id) const { return cfg.data_dir + "/logs/" + id; }

  // engine_health.cpp
  void step_health(TaskRecord& t, ContainerRecord& c, std::vector<StateChange>& ev);
  void stop_health(const std::string& rid);
};

const task::ContainerModel* model_of(const TaskRecord& t, const std::string& name);
int64_t stop_timeout_ms(const EngineConfig& cfg, const task::ContainerModel& m);

}  // namespace ecsd::engine
