// The shim's watch over a running container: copies its stdout/stderr pipes
// into a json-file log, reaps it, and records exit.json (code or signal,
// OOM-killed or not). Uses system calls and small strings only, so a shim
// that re-executes itself into this loop stays small.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/error.h"
#include "runtime/state_store.h"

namespace ecsd::runtime {

struct MonitorConfig {
  pid_t pid = 0;           // our child
  int stdout_fd = -1;      // read ends of the container's pipes, or -1
  int stderr_fd = -1;
  int error_fd = -1;       // the launcher's child error pipe (exec failure after start), or -1
  std::string log_path;    // json-file log; empty: output is dropped
  std::string exit_path;   // exit.json; empty: not written
  std::string oom_counter_file;  // memory.oom_control / memory.events
  uint64_t oom_kills_before = 0;
  bool durable = true;     // fsync exit.json
  // Drop the resident pages of the program's read-only file mappings before
  // waiting (runtime/resident_trim.h), and again after a burst of output
  // once the process is idle. For the long-lived shim.
  bool trim_resident = false;
};

// Runs until the container has exited and its pipes are drained.
Result<ExitRecord> run_monitor(const MonitorConfig& cfg);

}  // namespace ecsd::runtime
