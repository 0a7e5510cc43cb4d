// ecsd-runtime: an OCI runtime command line with runc's verbs.
//   ecsd-runtime [--root DIR] VERB [OPTIONS] ARGS
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/version.h"
#include "runtime/cli/args.h"
#include "runtime/cli/commands.h"

using namespace ecsd::runtime::cli;

namespace {

const char kUsage[] =
    "usage: ecsd-runtime [--root DIR] COMMAND [OPTIONS] ARGS\n"
    "commands:\n"
    "  create [--bundle DIR] [--pid-file F] [--log-path F] ID   set up a container, wait for start\n"
    "  start ID                                                 run the created container's process\n"
    "  run [--bundle DIR] [--pid-file F] [-d] [--log-path F] ID create + start (foreground unless -d)\n"
    "  state ID                                                 print the OCI state JSON\n"
    "  kill [--all] ID [SIGNAL]                                 send a signal (default SIGTERM)\n"
    "  delete [-f] ID                                           remove a stopped container\n"
    "  exec [-e K=V] [--cwd DIR] [-u UID[:GID]] ID CMD [ARG...] run a command in a container\n"
    "  list [--format table|json] [-q]                          list containers\n"
    "  spec [--bundle DIR]                                      write a default config.json\n"
    "  --version\n";

std::string self_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  size_t s = p.rfind('/');
  return s == std::string::npos ? "." : p.substr(0, s);
}

}  // namespace

int main(int argc, char** argv) {
  Global g;
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  // Global options (runc's; --log/--log-format/--debug accepted for compatibility).
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--version" || a == "-v") {
      std::printf("ecsd-runtime version %s\ncommit: %s\nspec: 1.0.2\n", ecsd::kVersion, ecsd::kGitCommit);
      return 0;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (a == name) {
        if (i + 1 >= args.size()) return std::nullopt;
        return args[++i];
      }
      return a.substr(name.size() + 1);
    };
    if (a == "--root" || a.rfind("--root=", 0) == 0) {
      auto v = value("--root");
      if (!v) break;
      g.root = *v;
    } else if (a == "--log" || a == "--log-format" || a == "--criu" || a == "--rootless") {
      ++i;
    } else if (a.rfind("--log=", 0) == 0 || a.rfind("--log-format=", 0) == 0 || a == "--debug" ||
               a.rfind("--rootless=", 0) == 0) {
    } else if (a == "--systemd-cgroup") {
      std::fputs("ecsd-runtime: --systemd-cgroup is not supported (cgroupfs only)\n", stderr);
      return 1;
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string verb = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
  g.self_dir = self_dir();
  if (verb == "create") return cmd_create(g, rest);
  if (verb == "start") return cmd_start(g, rest);
  if (verb == "run") return cmd_run(g, rest);
  if (verb == "state") return cmd_state(g, rest);
  if (verb == "kill") return cmd_kill(g, rest);
  if (verb == "delete") return cmd_delete(g, rest);
  if (verb == "exec") return cmd_exec(g, rest);
  if (verb == "list") return cmd_list(g, rest);
  if (verb == "spec") return cmd_spec(g, rest);
  std::fprintf(stderr, "ecsd-runtime: unknown command \"%s\"\n%s", verb.c_str(), kUsage);
  return 2;
}
