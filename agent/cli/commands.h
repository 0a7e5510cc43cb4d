// Command groups of the `ecsd` binary. Each group lives in its own file in
// agent/cli/ and registers itself with a file-scope RegisterCommand, so adding
// a command never touches main.cpp:
//
//   static const RegisterCommand reg{"image", "pull|ls|rm|unpack ...",
//                                    "manage images in the local store", image_command};
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
using CommandFn = int (*)(const GlobalOptions& global, const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* synopsis;  // what follows the name in usage, e.g. "pull|ls|rm ..."
  const char* summary;   // one line
  CommandFn fn;
};

// All registered commands, sorted by name.
const std::vector<Command>& commands();

struct RegisterCommand {
  RegisterCommand(const char* name, const char* synopsis, const char* summary, CommandFn fn);
};

int image_command(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace ecsd::cli
