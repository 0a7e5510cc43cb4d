// `ecsd prepare-host`: the unit's ExecStartPre (agent/host/prepare.h).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/host/prepare.h"

namespace ecsd::cli {
namespace {

const char* kPrepareUsage =
    "usage: ecsd prepare-host [options]\n"
    "  --state-file F         record of changes (default /run/ecsd/host-prepare.json)\n"
    "  --log-dir D            created if missing (default /var/log/ecs)\n"
    "  --table NAME           nftables table, family ip (default ecsd_host)\n"
    "  --bridge NAME          task bridge (default ecs-br0)\n"
    "  --agent-port N         credentials/metadata endpoint port (default 51679)\n"
    "  --route-localnet IF    set route_localnet on IF if it exists (repeatable; default: the bridge)\n"
    "  --no-nft               do not install the nftables table\n"
    "  --no-ip-forward        leave net.ipv4.ip_forward alone\n"
    "ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS=true leaves port 51678 reachable from other hosts.\n";

bool parse_port(const std::string& s, uint16_t& out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v < 1 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

int prepare_host_command(const GlobalOptions& global, const std::vector<std::string>& args) {
  host::PrepareOptions o;
  std::string log_dir = "/var/log/ecs";
  std::vector<std::string> ifaces;
  bool ifaces_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& dst) {
      if (i + 1 >= args.size()) return false;
      dst = args[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kPrepareUsage, stdout);
      return 0;
    } else if (a == "--state-file" && value(v)) {
      o.record_path = v;
    } else if (a == "--log-dir" && value(v)) {
      log_dir = v;
    } else if (a == "--table" && value(v)) {
      o.rules.table = v;
    } else if (a == "--bridge" && value(v)) {
      o.rules.bridge = v;
    } else if (a == "--agent-port" && value(v)) {
      if (!parse_port(v, o.rules.agent_port)) {
        std::fprintf(stderr, "ecsd prepare-host: bad --agent-port '%s'\n", v.c_str());
        return 2;
      }
    } else if (a == "--route-localnet" && value(v)) {
      ifaces.push_back(v);
      ifaces_given = true;
    } else if (a == "--no-nft") {
      o.nft = false;
    } else if (a == "--no-ip-forward") {
      o.ip_forward = false;
    } else {
      std::fprintf(stderr, "ecsd prepare-host: unknown or incomplete option '%s'\n%s", a.c_str(), kPrepareUsage);
      return 2;
    }
  }
  o.route_localnet_interfaces = ifaces_given ? ifaces : std::vector<std::string>{o.rules.bridge};
  if (const char* off = std::getenv("ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS"); off && std::string(off) == "true")
    o.rules.protected_ports = {o.rules.agent_port};
  else if (o.rules.agent_port != 51679)
    o.rules.protected_ports = {51678, o.rules.agent_port};
  o.dirs = {{global.data_dir, 0700}, {log_dir, 0755}};

  auto r = host::prepare_host(o);
  if (!r) {
    std::fprintf(stderr, "ecsd prepare-host: %s\n", r.error().message.c_str());
    return 1;
  }
  for (const auto& line : *r) std::printf("prepare-host: %s\n", line.c_str());
  return 0;
}

const RegisterCommand reg_prepare{"prepare-host", "[options] (--help)",
                                  "prepare the host for the agent (systemd ExecStartPre)", prepare_host_command};

}  // namespace
}  // namespace ecsd::cli
