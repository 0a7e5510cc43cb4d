// The agent's configuration as the Go agent reads it: KEY=VALUE lines from
// /etc/ecs/ecs.config, the process environment over the file, the ECS_*
// variables with the Go agent's names, meanings and defaults.
//
// Every variable is parsed by one table (config.cpp); defaults go through the
// same parser, so `ecsd config` shows exactly what the agent uses and where
// each value came from. Invalid values are errors naming the variable; values
// the Go agent replaces by its default (below a minimum) are warnings.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace ecsd::config {

inline constexpr const char* kDefaultConfigFile = "/etc/ecs/ecs.config";

enum class ImagePullBehavior { default_, always, once, prefer_cached };

struct Config {
  std::string cluster;            // ECS_CLUSTER (default "default")
  std::string data_dir;           // ECS_DATADIR
  std::string log_level;          // ECS_LOGLEVEL: debug|info|warn|error|crit
  std::string log_file;           // ECS_LOGFILE ("" = stderr only)
  int64_t reserved_memory_mib = 0;  // ECS_RESERVED_MEMORY
  std::vector<uint16_t> reserved_ports;      // ECS_RESERVED_PORTS
  std::vector<uint16_t> reserved_ports_udp;  // ECS_RESERVED_PORTS_UDP
  uint16_t dynamic_host_port_first = 49153;  // ECS_DYNAMIC_HOST_PORT_RANGE "first-last"
  uint16_t dynamic_host_port_last = 65535;
  std::chrono::milliseconds container_stop_timeout{};   // ECS_CONTAINER_STOP_TIMEOUT
  std::chrono::milliseconds container_start_timeout{};  // ECS_CONTAINER_START_TIMEOUT
  std::chrono::milliseconds task_cleanup_wait{};        // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION
  ImagePullBehavior image_pull_behavior = ImagePullBehavior::default_;  // ECS_IMAGE_PULL_BEHAVIOR
  std::chrono::milliseconds image_cleanup_interval{};     // ECS_IMAGE_CLEANUP_INTERVAL
  std::chrono::milliseconds image_minimum_cleanup_age{};  // ECS_IMAGE_MINIMUM_CLEANUP_AGE
  int64_t num_images_delete_per_cycle = 5;                // ECS_NUM_IMAGES_DELETE_PER_CYCLE
  bool disable_image_cleanup = false;                     // ECS_DISABLE_IMAGE_CLEANUP
  bool disable_privileged = false;                        // ECS_DISABLE_PRIVILEGED
  std::vector<std::string> available_logging_drivers;     // ECS_AVAILABLE_LOGGING_DRIVERS
  std::map<std::string, std::string> instance_attributes;  // ECS_INSTANCE_ATTRIBUTES
  std::map<std::string, std::string> instance_tags;        // ECS_CONTAINER_INSTANCE_TAGS
  bool enable_task_iam_role = false;                       // ECS_ENABLE_TASK_IAM_ROLE
  std::string backend_host;  // ECS_BACKEND_HOST: ECS endpoint override ("" = regional)
  std::string region;        // AWS_DEFAULT_REGION, else AWS_REGION ("" = from IMDS)
  bool checkpoint = true;    // ECS_CHECKPOINT: save state in the data dir
  bool update_enabled = false;  // ECS_UPDATES_ENABLED (accepted, no self-update)
  std::string instance_tags_source;  // ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM: none|ec2
};

// Where a value came from.
struct Entry {
  std::string key;
  std::string value;   // effective value as written (or the default's text)
  std::string source;  // "default", "env", "/etc/ecs/ecs.config:12"
  std::string meaning; // one line
};

struct Loaded {
  Config config;
  std::vector<Entry> entries;          // every known variable, in table order
  std::vector<std::string> warnings;   // below-minimum values replaced by defaults, unknown ECS_* keys
};

struct LoadOptions {
  // The KEY=VALUE file; a missing file is fine (the Go agent runs without one).
  std::string file_path = kDefaultConfigFile;
  // The environment; nullopt = the process environment (environ).
  std::optional<std::map<std::string, std::string>> env;
  // ECS_DATADIR default when neither file nor environment sets it.
  std::string default_data_dir = "/var/lib/ecs/data";
};

// Parses the file's text: KEY=VALUE per line, '#' comments, blank lines,
// optional "export ", surrounding single or double quotes removed (systemd
// EnvironmentFile semantics). Returns key -> (value, line number).
// Malformed lines are errors naming the line.
Result<std::map<std::string, std::pair<std::string, int>>> parse_env_file(std::string_view text,
                                                                         std::string_view path);

// Loads and validates. All invalid values are reported together:
// "invalid configuration: ECS_RESERVED_MEMORY=\"lots\" (env): not a non-negative integer; ..."
Result<Loaded> load(const LoadOptions& options = {});

// Go time.ParseDuration: "300ms", "1.5h", "2h45m", "-1m" (sign allowed), "0".
Result<std::chrono::milliseconds> parse_go_duration(std::string_view s);
// "30s"-style rendering of a duration for display (Go's String()).
std::string format_go_duration(std::chrono::milliseconds d);

std::string_view to_string(ImagePullBehavior b);  // "default", "always", "once", "prefer-cached"

}  // namespace ecsd::config
