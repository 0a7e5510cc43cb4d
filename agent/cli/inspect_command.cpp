// `ecsd inspect TASK`: the daemon's record of a task as JSON (statuses, exit
// codes, reasons, health, pids, timestamps).
#include <cstdio>

#include "agent/cli/commands.h"
#include "agent/engine/client.h"

namespace ecsd::cli {
namespace {

int inspect_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0][0] == '-') {
    std::fprintf(stderr, "usage: ecsd inspect TASK\n");
    return 2;
  }
  auto client = engine::Client::connect(g.data_dir, false);
  if (!client) {
    std::fprintf(stderr, "ecsd inspect: %s\n", client.error().message.c_str());
    return 1;
  }
  auto r = client->call({{"op", "inspect"}, {"task", args[0]}});
  if (!r) {
    std::fprintf(stderr, "ecsd inspect: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", (*r)["task"].dump(2).c_str());
  return 0;
}

const RegisterCommand kRegisterInspect{"inspect", "TASK", "show a task as JSON", inspect_command};

}  // namespace
}  // namespace ecsd::cli
