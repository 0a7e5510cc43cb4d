// ecsd: the entry point. Global options come before the command group.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "common/version.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: ecsd [--data-dir DIR] COMMAND ...\n"
               "\n"
               "commands:\n"
               "  image pull|ls|rm|unpack ...   manage images in the local store\n"
               "  --version                     print version and git commit\n"
               "\n"
               "--data-dir defaults to $ECS_DATADIR, else /var/lib/ecs/data\n");
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
  if (group == "image") return ecsd::cli::image_command(global, rest);
  std::fprintf(stderr, "ecsd: unknown command '%s'\n", group.c_str());
  usage(stderr);
  return 2;
}
