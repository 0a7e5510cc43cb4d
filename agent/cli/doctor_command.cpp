// `ecsd doctor`: host and connectivity checks with fixes (agent/host/doctor.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/host/doctor.h"

extern char** environ;

namespace ecsd::cli {
namespace {

int doctor_command(const GlobalOptions& global, const std::vector<std::string>& args) {
  host::DoctorOptions o;
  o.data_dir = global.data_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" && i + 1 < args.size()) {
      o.config_file = args[++i];
    } else if (a == "--offline") {
      o.network = false;
    } else if (a == "--timeout" && i + 1 < args.size()) {
      o.timeout_ms = std::atol(args[++i].c_str());
      if (o.timeout_ms <= 0) o.timeout_ms = 2000;
    } else if (a == "-h" || a == "--help") {
      std::puts(
          "usage: ecsd doctor [--config FILE] [--offline] [--timeout MS]\n"
          "  checks kernel features, cgroups, overlayfs, seccomp, user namespaces, nftables,\n"
          "  disk space, ecsd-shim, and (unless --offline) IMDS, credentials, the ECS endpoint\n"
          "  and clock skew against its Date header. Exit 1 if a required check fails.\n"
          "  --config defaults to /etc/ecs/ecs.config; the environment overrides it.");
      return 0;
    } else {
      std::fprintf(stderr, "ecsd doctor: unknown option '%s'\n", a.c_str());
      return 2;
    }
  }
  auto cfg = host::effective_config(o.config_file, environ);
  if (auto it = cfg.find("ECS_DATADIR"); it != cfg.end() && !it->second.empty() && !std::getenv("ECS_DATADIR"))
    o.data_dir = it->second;
  auto checks = host::run_doctor(o, cfg);
  std::fputs(host::format_report(checks).c_str(), stdout);
  return host::exit_code(checks);
}

const RegisterCommand reg{"doctor", "[--config FILE] [--offline]", "check this host and print what is missing",
                          doctor_command};

}  // namespace
}  // namespace ecsd::cli
