// Model -> OCI spec for one container: the pure half of "create container".
// The engine gathers everything that needs I/O (image config, the image's
// /etc/passwd and /etc/group, resolved volume sources, device nodes, the
// host's bounding set, the base spec) into a ContainerInputs, and this turns
// it into a runtime::Spec with Docker's rules:
//   - entrypoint/cmd: an explicit entryPoint replaces the image's Entrypoint
//     and drops the image's Cmd; command replaces Cmd;
//   - env: image env, then environmentFiles, then environment (later wins),
//     plus HOSTNAME and HOME (from passwd) when not set, PATH when missing;
//   - user: container user, else image User, resolved in the image's files;
//   - workdir: workingDirectory, else image WorkingDir, else "/";
//   - cpu units -> cpu.shares, at least 2; memory (MiB) -> limit,
//     memoryReservation -> soft limit; maxSwap -> memory+swap;
//   - privileged, capabilities add/drop, ulimits, readonlyRootFilesystem,
//     sharedMemorySize, tmpfs, devices, hostname, init, labels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/task/model.h"
#include "common/error.h"
#include "runtime/capabilities.h"
#include "runtime/image/image_config.h"
#include "runtime/spec.h"

namespace ecsd::engine {

inline constexpr int64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kMinCpuShares = 2;

// A mount point with its host source resolved.
struct ResolvedMount {
  std::string source;        // host path
  std::string destination;   // container path
  bool read_only = false;
};

struct ContainerInputs {
  const task::Task* task = nullptr;
  const task::ContainerModel* container = nullptr;
  image::ImageConfig image;
  runtime::Spec base;            // runtime::docker_default_spec()
  std::string rootfs;            // absolute host path of the mounted rootfs
  std::string passwd, group;     // the image's /etc/passwd, /etc/group (may be empty)
  std::string cgroups_path;      // "ecsd/<task>/<container>"
  std::string hostname;          // resolved (container's, task's, or the host's)
  bool host_network = false;     // networkMode host: no network namespace
  std::string netns_path;        // join this network namespace (bridge); empty: new one
  std::vector<ResolvedMount> mounts;        // mountPoints and volumesFrom, resolved
  std::vector<std::string> env_files;       // "K=V" lines read from environmentFiles, in order
  std::string resolv_conf_path, hosts_path, hostname_path;  // host files bound into /etc
  std::vector<runtime::Device> devices;     // linuxParameters.devices, one per entry, in order
  runtime::CapMask host_bounding = 0;       // what "ALL" and privileged mean here
  std::vector<runtime::Device> host_devices;  // privileged: every host device
  std::string init_path;                    // host path of ecsd-init (initProcessEnabled)
};

// Where ecsd-init is mounted in a container with initProcessEnabled.
inline constexpr const char* kInitPath = "/sbin/ecsd-init";

// Builds the spec. Errors name the field: "user: unable to find user app ...".
Result<runtime::Spec> build_container_spec(const ContainerInputs& in);

// Docker's entrypoint/cmd rule alone (exposed for tests).
std::vector<std::string> effective_args(const task::ContainerModel& c, const image::ImageConfig& img);
// cpu units -> cpu.shares (floor 2).
uint64_t cpu_shares(int64_t cpu_units);
// The signal that stops the container first: the image's StopSignal, else SIGTERM.
int stop_signal(const image::ImageConfig& img);
// Parses an environment file (KEY=VALUE lines; '#' comments and blank lines
// skipped, as ECS does). Errors name the line.
Result<std::vector<std::string>> parse_env_file(std::string_view text, std::string_view path);
// "rwm"-style access from ECS permissions ("read","write","mknod"; empty: all).
std::string device_access(const std::vector<std::string>& permissions);

}  // namespace ecsd::engine
