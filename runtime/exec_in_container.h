// Runs a command inside a running container: its namespaces (user first,
// mount last), its cgroup, its pid namespace (via fork), and the saved
// config's user, groups, capabilities, no_new_privs, rlimits and seccomp.
// Stdio is inherited. Call from a single-threaded process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

struct ExecRequest {
  std::string state_dir;               // <root>/<id>: state.json and config.json
  std::vector<std::string> args;
  std::vector<std::string> env;        // "K=V", added to / overriding the config's env
  std::optional<std::string> cwd;
  std::optional<User> user;            // default: process.user of the config
};

// Parses "uid[:gid]" (numbers only: there is no NSS in a static binary).
Result<User> parse_user(std::string_view s);

// Returns the command's exit code (128+signal when signalled).
Result<int> exec_in_container(const ExecRequest& req);

}  // namespace ecsd::runtime
