// Per-container state on disk, one directory per container under a root
// (default /run/ecsd-runtime):
//   <root>/<id>/state.json    OCI state + what we need to find the process again
//   <root>/<id>/config.json   the resolved spec (exec reads it)
//   <root>/<id>/exit.json     written once by the shim when the container ended
//   <root>/<id>/exec.fifo     exists while the container waits for `start`
//   <root>/<id>/container.log json-file log (when the shim captures output)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::runtime {

struct ContainerState {
  std::string oci_version = "1.0.2";
  std::string id;
  pid_t pid = 0;
  uint64_t pid_start_time = 0;  // field 22 of /proc/<pid>/stat, against pid reuse
  pid_t shim_pid = 0;
  std::string bundle;
  std::string rootfs;
  std::string created;          // RFC3339Nano UTC
  std::string cgroup_path;      // relative to the hierarchy roots
  std::map<std::string, std::string> annotations;
};

struct ExitRecord {
  int exit_code = 0;         // 128+signal when signalled
  int signal = 0;
  std::string signal_name;   // "SIGKILL" or empty
  bool oom_killed = false;
  std::string finished_at;   // RFC3339Nano UTC
};

enum class ContainerStatus { kCreating, kCreated, kRunning, kStopped };
std::string_view to_string(ContainerStatus s);

std::string state_to_json(const ContainerState& s);
Result<ContainerState> state_from_json(std::string_view text);
// Hand-written (no JSON library: the shim's monitor writes it).
std::string exit_to_json(const ExitRecord& e);
Result<ExitRecord> exit_from_json(std::string_view text);
// The OCI `state` output: ociVersion, id, status, pid, bundle, annotations,
// plus created, rootfs, cgroupsPath and (when stopped) the exit record.
std::string oci_state_json(const ContainerState& s, ContainerStatus st, const std::optional<ExitRecord>& exit);

// Container ids: 1-1024 chars of [A-Za-z0-9_.-], not starting with '.' or '-'.
Status validate_container_id(std::string_view id);

// The pure status rule: stopped when exit.json exists or the process is gone
// (or its start time differs: the pid was reused); created while exec.fifo
// exists; else running.
ContainerStatus derive_status(bool exit_recorded, bool process_alive, bool fifo_exists);

// Field 22 (starttime) of /proc/<pid>/stat text. Handles ')' in comm.
Result<uint64_t> parse_stat_start_time(std::string_view stat_text);
// Reads /proc/<pid>/stat; 0 (no error) when the process does not exist.
uint64_t process_start_time(pid_t pid);
// pid exists, is not a zombie-reaped stranger, and started at start_time.
bool process_matches(pid_t pid, uint64_t start_time);

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(std::string_view id) const { return root_ + "/" + std::string(id); }
  std::string state_path(std::string_view id) const { return dir(id) + "/state.json"; }
  std::string config_path(std::string_view id) const { return dir(id) + "/config.json"; }
  std::string exit_path(std::string_view id) const { return dir(id) + "/exit.json"; }
  std::string fifo_path(std::string_view id) const { return dir(id) + "/exec.fifo"; }
  std::string log_path(std::string_view id) const { return dir(id) + "/container.log"; }

  // Creates <root>/<id> (0711); error "container x already exists" if present.
  Status create(std::string_view id) const;
  bool exists(std::string_view id) const;
  // durable=false skips fsync (the foreground `run` path on tmpfs).
  Status write_state(const ContainerState& s, bool durable = true) const;
  Result<ContainerState> read_state(std::string_view id) const;
  Result<std::optional<ExitRecord>> read_exit(std::string_view id) const;
  ContainerStatus status(const ContainerState& s) const;
  // Removes every file of the container and its directory.
  Status remove(std::string_view id) const;
  Result<std::vector<std::string>> list() const;

 private:
  std::string root_;
};

// Writes data to path via a temporary file and rename; fsync only if durable.
Status write_file_replace(const std::string& path, std::string_view data, bool durable);
// Now as RFC3339Nano UTC.
std::string now_rfc3339();

}  // namespace ecsd::runtime
