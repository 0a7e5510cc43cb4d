// The task model: what ecsd knows about an ECS task and its containers,
// independent of the input it came from. Two parsers converge on it:
// task_definition_parser.h (RegisterTaskDefinition JSON) and acs_task_parser.h
// (an ACS PayloadMessage task with Docker Engine API dockerConfig strings).
//
// Units: cpu in ECS CPU units (1024 = one vCPU), memory in MiB, durations in
// seconds. Defaults are applied by the parsers, so equal tasks compare equal
// whichever shape they came in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::task {

enum class NetworkMode { bridge, host, none, awsvpc };
enum class DependencyCondition { start, complete, success, healthy };

std::string_view to_string(NetworkMode m);           // "bridge"
std::string_view to_string(DependencyCondition c);   // "START"
std::optional<NetworkMode> network_mode_from_string(std::string_view s);
std::optional<DependencyCondition> condition_from_string(std::string_view s);

struct KeyValue {
  std::string name;
  std::string value;
  bool operator==(const KeyValue&) const = default;
};

// environmentFiles entry. type "s3" (ECS; needs S3, not fetched by ecsd yet)
// or "file" (ecsd extension for local mode: value is a path on this host).
struct EnvironmentFile {
  std::string value;
  std::string type;
  bool operator==(const EnvironmentFile&) const = default;
};

struct HostEntry {
  std::string hostname;
  std::string ip_address;
  bool operator==(const HostEntry&) const = default;
};

struct Ulimit {
  std::string name;  // Docker name: "nofile"
  int64_t soft = 0;
  int64_t hard = 0;
  bool operator==(const Ulimit&) const = default;
};

struct DeviceMapping {
  std::string host_path;
  std::string container_path;            // empty: same as host_path
  std::vector<std::string> permissions;  // "read", "write", "mknod"; empty: all
  bool operator==(const DeviceMapping&) const = default;
};

struct TmpfsMount {
  std::string container_path;
  int64_t size_mib = 0;
  std::vector<std::string> mount_options;  // "noexec", "mode=1777", ...
  bool operator==(const TmpfsMount&) const = default;
};

struct LinuxParameters {
  std::vector<std::string> cap_add;  // as written ("NET_ADMIN", "ALL")
  std::vector<std::string> cap_drop;
  bool init_process_enabled = false;
  std::optional<int64_t> shared_memory_size_mib;
  std::vector<TmpfsMount> tmpfs;
  std::vector<DeviceMapping> devices;
  std::optional<int64_t> max_swap_mib;  // 0: no swap
  std::optional<int64_t> swappiness;    // 0..100
  bool operator==(const LinuxParameters&) const = default;
};

struct MountPoint {
  std::string source_volume;
  std::string container_path;
  bool read_only = false;
  bool operator==(const MountPoint&) const = default;
};

struct VolumeFrom {
  std::string source_container;
  bool read_only = false;
  bool operator==(const VolumeFrom&) const = default;
};

struct ContainerDependency {
  std::string container_name;
  DependencyCondition condition = DependencyCondition::start;
  bool operator==(const ContainerDependency&) const = default;
};

// ECS defaults when a field is unset: 30 s, 5 s, 3, 0 s.
struct HealthCheck {
  std::vector<std::string> command;  // {"CMD", "curl", ...} or {"CMD-SHELL", "..."}
  int64_t interval_s = 30;
  int64_t timeout_s = 5;
  int64_t retries = 3;
  int64_t start_period_s = 0;
  bool operator==(const HealthCheck&) const = default;
};

struct LogConfiguration {
  std::string driver = "json-file";
  std::map<std::string, std::string> options;
  bool operator==(const LogConfiguration&) const = default;
};

struct PortMapping {
  int64_t container_port = 0;             // 0 when a range is given
  std::optional<int64_t> host_port;       // absent: dynamic (bridge) / same (host)
  std::string protocol = "tcp";
  std::string container_port_range;       // "8000-8010"
  std::string name;
  bool operator==(const PortMapping&) const = default;
};

struct ContainerModel {
  std::string name;
  std::string image;
  std::string arn;  // ACS only ("containerArn"); empty for task definitions

  int64_t cpu = 0;                                // CPU units
  std::optional<int64_t> memory_mib;              // hard limit
  std::optional<int64_t> memory_reservation_mib;  // soft limit
  bool essential = true;

  // Absent and empty differ (Docker rules): an explicit entryPoint, even
  // empty, replaces the image's Entrypoint.
  std::optional<std::vector<std::string>> entry_point;
  std::optional<std::vector<std::string>> command;
  // Sorted by name, one entry per name (the last one written wins), because
  // ECS delivers it to agents as a map; both inputs therefore agree.
  std::vector<KeyValue> environment;
  std::vector<EnvironmentFile> environment_files;
  std::string working_directory;
  std::string user;
  bool privileged = false;
  bool readonly_root_filesystem = false;
  bool disable_networking = false;
  std::string hostname;
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_search_domains;
  std::vector<HostEntry> extra_hosts;
  std::vector<Ulimit> ulimits;
  LinuxParameters linux_parameters;
  std::vector<MountPoint> mount_points;
  std::vector<VolumeFrom> volumes_from;
  std::map<std::string, std::string> docker_labels;
  std::vector<ContainerDependency> depends_on;
  std::optional<HealthCheck> health_check;
  std::optional<int64_t> start_timeout_s;
  std::optional<int64_t> stop_timeout_s;  // absent: ECS_CONTAINER_STOP_TIMEOUT
  LogConfiguration log_configuration;
  std::vector<PortMapping> port_mappings;
  std::vector<std::string> links;  // bridge-mode legacy, kept for later

  bool operator==(const ContainerModel&) const = default;
};

enum class VolumeKind {
  host,         // bind mount of host.sourcePath
  task_empty,   // no source path: an empty directory living as long as the task
  docker,       // dockerVolumeConfiguration (driver "local" only at run time)
  unsupported,  // efs, fsxWindowsFileServer, s3files, ebs ...: see unsupported_type
};

struct DockerVolumeConfiguration {
  std::string scope = "task";  // "task" | "shared"
  bool autoprovision = false;
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;
  bool operator==(const DockerVolumeConfiguration&) const = default;
};

struct Volume {
  std::string name;
  VolumeKind kind = VolumeKind::task_empty;
  std::string source_path;  // host
  DockerVolumeConfiguration docker;  // docker
  std::string unsupported_type;      // "efs", ...
  bool operator==(const Volume&) const = default;
};

struct Task {
  std::string arn;  // ACS task arn; empty for a task definition
  std::string task_definition_arn;
  std::string family;
  std::string revision;  // "3"; empty when not registered
  std::string desired_status = "RUNNING";

  std::optional<int64_t> cpu_units;   // task-level cpu (quota on the task cgroup)
  std::optional<int64_t> memory_mib;  // task-level memory limit
  NetworkMode network_mode = NetworkMode::bridge;
  std::string pid_mode;  // "", "host", "task"
  std::string ipc_mode;  // "", "host", "task", "none"
  std::string task_role_arn;
  std::string execution_role_arn;

  std::vector<ContainerModel> containers;
  std::vector<Volume> volumes;

  const ContainerModel* find_container(std::string_view name) const;
  const Volume* find_volume(std::string_view name) const;
  bool operator==(const Task&) const = default;
};

// Task-level sizes as RegisterTaskDefinition accepts them.
// cpu: "256", "1024", "0.25 vCPU", "1 vcpu", "2vCPU" -> CPU units.
// memory: "512" (MiB), "1 GB", "2GB", "0.5 GB" (GB meaning GiB, as ECS does) -> MiB.
// Errors say what was expected; the caller prefixes the field name.
Result<int64_t> parse_task_cpu(std::string_view s);
Result<int64_t> parse_task_memory(std::string_view s);

// Sort by name and keep the last value written for each name.
std::vector<KeyValue> normalize_environment(std::vector<KeyValue> env);

// Names: containers, family: [a-zA-Z0-9_-]{1,255}.
bool valid_name(std::string_view name);

}  // namespace ecsd::task
