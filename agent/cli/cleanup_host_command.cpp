// `ecsd cleanup-host`: the unit's ExecStopPost; undoes what prepare-host
// recorded (agent/host/prepare.h).
#include <cstdio>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/host/prepare.h"

namespace ecsd::cli {
namespace {

int cleanup_host_command(const GlobalOptions&, const std::vector<std::string>& args) {
  std::string record = "/run/ecsd/host-prepare.json";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--state-file" && i + 1 < args.size()) {
      record = args[++i];
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::puts("usage: ecsd cleanup-host [--state-file F]   undo what prepare-host recorded in F");
      return 0;
    } else {
      std::fprintf(stderr, "ecsd cleanup-host: unknown option '%s'\n", args[i].c_str());
      return 2;
    }
  }
  auto r = host::cleanup_host(record);
  if (!r) {
    std::fprintf(stderr, "ecsd cleanup-host: %s\n", r.error().message.c_str());
    return 1;
  }
  for (const auto& line : *r) std::printf("cleanup-host: %s\n", line.c_str());
  return 0;
}

const RegisterCommand reg_cleanup{"cleanup-host", "[--state-file F]",
                                  "undo what prepare-host changed (systemd ExecStopPost)", cleanup_host_command};

}  // namespace
}  // namespace ecsd::cli
