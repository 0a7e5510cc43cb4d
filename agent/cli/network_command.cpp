// `ecsd network [show|remove]`: the bridge networking of bridge-mode tasks
// (netns/network.h) as the engine configures it from the environment
// (ECSD_BRIDGE_NAME, ECSD_BRIDGE_SUBNET, ECSD_NETWORK_STATE_DIR, ...; see
// docs/engine.md). `show` reads the persisted state (no lock, works beside a
// running daemon). `remove` tears down every task network, the bridge and the
// nftables table (uninstall, demos); it refuses while a daemon that opened the
// same state directory runs (the state lock).
#include <unistd.h>

#include <cstdio>

#include "agent/cli/commands.h"
#include "agent/engine/engine.h"
#include "agent/engine/task_network.h"
#include "common/file_util.h"
#include "netns/ipv4.h"
#include "netns/state.h"

namespace ecsd::cli {
namespace {

int network_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  std::string op = args.empty() ? "show" : args[0];
  if (op == "-h" || op == "--help" || args.size() > 1 || (op != "show" && op != "remove")) {
    std::printf("usage: ecsd network [show|remove]\n\n"
                "show    the bridge, its subnet and the task networks recorded in its state\n"
                "remove  tear down every task network, delete the bridge and the nftables table\n"
                "Settings from the environment as for `ecsd daemon` (docs/engine.md, Networking).\n");
    return op == "-h" || op == "--help" ? 0 : 2;
  }
  auto cfg = engine::config_from_env(g.data_dir);
  if (!cfg) {
    std::fprintf(stderr, "ecsd network: %s\n", cfg.error().message.c_str());
    return 1;
  }
  if (!engine::network_state_exists(cfg->network)) {
    std::printf("no bridge network state in %s (no bridge task has run with these settings)\n",
                cfg->network.state_dir.c_str());
    return 0;
  }
  if (op == "show") {  // the persisted state: no lock, nothing changed on the host
    auto text = read_file(cfg->network.state_dir + "/state");
    if (!text) {
      std::fprintf(stderr, "ecsd network: %s\n", text.error().message.c_str());
      return 1;
    }
    auto st = netns::parse_state(*text);
    if (!st) {
      std::fprintf(stderr, "ecsd network: %s/state: %s\n", cfg->network.state_dir.c_str(), st.error().message.c_str());
      return 1;
    }
    std::printf("bridge %s  subnet %s  nftables table ip %s  state %s\n", cfg->network.bridge_name.c_str(),
                st->subnet.c_str(), cfg->network.nft_table.c_str(), cfg->network.state_dir.c_str());
    for (const auto& t : st->tasks) {
      std::printf("%s  %s  %s", t.id.c_str(), t.mode.c_str(), t.ip ? netns::format_ipv4(t.ip).c_str() : "-");
      for (const auto& b : t.bindings)
        std::printf("  %s:%u->%u/%s", b.bind_ip.c_str(), b.host_port, b.container_port, netns::protocol_name(b.protocol));
      std::printf("\n");
    }
    return 0;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "ecsd network: needs root\n");
    return 1;
  }
  auto net = netns::Network::open(cfg->network);
  if (!net) {
    std::fprintf(stderr, "ecsd network: %s\n", net.error().message.c_str());
    return 1;
  }
  if (auto s = (*net)->remove_all(); !s) {
    std::fprintf(stderr, "ecsd network remove: %s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("removed bridge %s and nftables table ip %s\n", cfg->network.bridge_name.c_str(),
              cfg->network.nft_table.c_str());
  return 0;
}

const RegisterCommand reg{"network", "[show|remove]", "show or remove the bridge network of bridge-mode tasks",
                          network_command};

}  // namespace
}  // namespace ecsd::cli
