// ecsd: the entry point. Global options come before the command; commands
// register themselves (agent/cli/commands.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "common/version.h"

namespace ecsd::cli {
namespace {

std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}

}  // namespace

RegisterCommand::RegisterCommand(const char* name, const char* synopsis, const char* summary, CommandFn fn) {
  auto& r = registry();
  r.push_back(Command{name, synopsis, summary, fn});
  std::sort(r.begin(), r.end(), [](const Command& a, const Command& b) { return std::strcmp(a.name, b.name) < 0; });
}

const std::vector<Command>& commands() { return registry(); }

}  // namespace ecsd::cli

namespace {

void usage(FILE* out) {
  std::fprintf(out, "usage: ecsd [--data-dir DIR] COMMAND ...\n\ncommands:\n");
  for (const auto& c : ecsd::cli::commands()) {
    std::string head = std::string(c.name) + " " + c.synopsis;
    std::fprintf(out, "  %-34s %s\n", head.c_str(), c.summary);
  }
  std::fprintf(out,
               "  %-34s %s\n"
               "\n"
               "--data-dir defaults to $ECS_DATADIR, else /var/lib/ecs/data\n",
               "--version", "print version and git commit");
}

}  // namespace

int main(int argc, char** argv) {
  ecsd::cli::GlobalOptions global;
  if (const char* env = std::getenv("ECS_DATADIR"); env && *env) global.data_dir = env;
  if (global.data_dir.empty()) global.data_dir = "/var/lib/ecs/data";

  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--data-dir" && i + 1 < argc) {
      global.data_dir = argv[++i];
    } else if (a.rfind("--data-dir=", 0) == 0) {
      global.data_dir = a.substr(std::strlen("--data-dir="));
    } else if (a == "--version" || a == "version") {
      std::printf("ecsd %s (commit %s)\n", ecsd::kVersion, ecsd::kGitCommit);
      return 0;
    } else if (a == "-h" || a == "--help" || a == "help") {
      usage(stdout);
      return 0;
    } else {
      break;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 2;
  }
  std::string group = argv[i++];
  std::vector<std::string> rest(argv + i, argv + argc);
  for (const auto& c : ecsd::cli::commands())
    if (group == c.name) return c.fn(global, rest);
  std::fprintf(stderr, "ecsd: unknown command '%s'\n", group.c_str());
  usage(stderr);
  return 2;
}
