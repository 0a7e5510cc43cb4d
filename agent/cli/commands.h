// Command groups of the `ecsd` binary. Each group lives in its own file and
// is dispatched from main.cpp.
#pragma once

#include <string>
#include <vector>

namespace ecsd::cli {

struct GlobalOptions {
  // --data-dir DIR, else $ECS_DATADIR, else /var/lib/ecs/data
  std::string data_dir;
};

// args: the words after the group name ("pull", "busybox", ...).
// Returns the process exit code.
int image_command(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace ecsd::cli
