// The task engine: takes tasks (a task definition or an ACS task), pulls
// their images, creates and starts their containers through ecsd-shim,
// supervises them (dependsOn, essential containers, health checks, stop
// timeouts, OOM), records everything in SQLite and reports state changes.
//
// One Engine per data dir (it holds <data-dir>/engine.lock). Its methods are
// thread-safe; one internal thread does the work. Containers outlive the
// engine: after a crash or restart, Engine::open adopts every container
// through its shim and picks up exits that happened meanwhile.
//
// See docs/engine.md.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/engine/host_resources.h"
#include "agent/engine/records.h"
#include "common/error.h"
#include "runtime/image/credentials.h"
#include "netns/network.h"
#include "runtime/image/pull_policy.h"

namespace ecsd::engine {

struct EngineConfig {
  std::string data_dir;  // ECS_DATADIR
  std::string bin_dir;   // where ecsd-shim and ecsd-init are (default: next to /proc/self/exe)
  int64_t stop_timeout_ms = 30000;              // ECS_CONTAINER_STOP_TIMEOUT
  int64_t cleanup_wait_ms = 3 * 3600 * 1000;    // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION
  int64_t default_start_timeout_ms = 0;         // ECS_CONTAINER_START_TIMEOUT for dependsOn waits (0: none)
  image::PullPolicy pull_policy = image::PullPolicy::kDefault;  // ECS_IMAGE_PULL_BEHAVIOR
  std::optional<HostCapacity> capacity;         // default: detect_host_capacity()
  // Registry credentials asked before the Docker config files (ECR, from `ecsd agent`).
  std::shared_ptr<image::CredentialProvider> registry_credentials;
  // Bridge-mode networking (netns/network.h), opened on first use. Defaults:
  // netns's, overridable by ECSD_BRIDGE_NAME, ECSD_BRIDGE_SUBNET,
  // ECSD_NETWORK_STATE_DIR, ECSD_NETWORK_RUN_DIR, ECSD_NFT_TABLE, ECSD_VETH_PREFIX.
  netns::NetworkConfig network;
  // Called on the engine thread for every state change, after it is durable.
  std::function<void(const StateChange&)> on_change;
};

// Reads the ECS_* variables above from the environment (errors name the variable).
Result<EngineConfig> config_from_env(std::string data_dir);
// "30s", "1m30s", "3h", "500ms", or a bare number of seconds -> milliseconds.
Result<int64_t> parse_duration_ms(std::string_view s);

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(EngineConfig cfg);
  ~Engine();  // stops the engine thread; containers keep running
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Parses, validates and admits a task; returns its id. Nothing is started
  // when this fails; the error names the field.
  Result<std::string> submit(SourceKind kind, const std::string& json, const std::string& arn = "");
  // Desired status STOPPED: containers are stopped in reverse dependency order.
  Status stop(const std::string& task, const std::string& reason = "Task stopped by user");
  // A task by id, unique id prefix, or arn.
  Result<TaskRecord> task(const std::string& id_or_prefix) const;
  std::vector<TaskRecord> tasks() const;
  // Why an admitted-but-pending task is not starting ("waiting for host
  // resources: memory: ..."), or "".
  std::string waiting_reason(const std::string& task_id) const;

  // State changes with seq > after (durable; survive restarts until the
  // task is cleaned up). wait_events blocks until there is one or timeout.
  std::vector<StateChange> events_after(uint64_t after) const;
  std::vector<StateChange> wait_events(uint64_t after, int timeout_ms) const;
  uint64_t last_seq() const;

  // Paths.
  std::string log_path(const std::string& task_id, const std::string& container) const;
  const EngineConfig& config() const { return cfg_; }

  // Stops the engine thread (containers keep running). Idempotent.
  void shutdown();

  struct Impl;

 private:
  explicit Engine(EngineConfig cfg);
  EngineConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ecsd::engine
