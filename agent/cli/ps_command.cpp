// `ecsd ps [-a] [--json]`: tasks known to the daemon (running and pending;
// -a: stopped ones too, until they are cleaned up).
#include <cstdio>

#include "agent/cli/commands.h"
#include "agent/engine/client.h"

namespace ecsd::cli {
namespace {

int ps_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool all = false, json = false;
  for (const auto& a : args) {
    if (a == "-a" || a == "--all") all = true;
    else if (a == "--json") json = true;
    else {
      std::fprintf(stderr, "usage: ecsd ps [-a|--all] [--json]\n");
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  auto client = engine::Client::connect(g.data_dir, false);  // never starts a daemon: only `run` does
  if (!client) {
    std::fprintf(stderr, "ecsd ps: %s\n", client.error().message.c_str());
    return 1;
  }
  auto r = client->call({{"op", "list"}});
  if (!r) {
    std::fprintf(stderr, "ecsd ps: %s\n", r.error().message.c_str());
    return 1;
  }
  auto tasks = nlohmann::json::array();
  for (const auto& t : (*r)["tasks"])
    if (all || t.value("lastStatus", "") != "STOPPED") tasks.push_back(t);
  if (json) {
    std::printf("%s\n", tasks.dump(2).c_str());
    return 0;
  }
  std::printf("%-12s  %-24s  %-8s  %-8s  %s\n", "TASK", "FAMILY", "STATUS", "DESIRED", "CONTAINERS");
  for (const auto& t : tasks) {
    std::string fam = t.value("family", "");
    if (t.contains("revision")) fam += ":" + t["revision"].get<std::string>();
    std::string cs;
    for (const auto& c : t["containers"]) {
      if (!cs.empty()) cs += ", ";
      cs += c.value("name", "") + " " + c.value("lastStatus", "");
      if (c.contains("health")) cs += "/" + c["health"].value("status", "");
      if (c.contains("exitCode")) cs += "(" + std::to_string(c["exitCode"].get<int>()) + ")";
    }
    std::printf("%-12s  %-24s  %-8s  %-8s  %s\n", t.value("id", "").substr(0, 12).c_str(), fam.c_str(),
                t.value("lastStatus", "").c_str(), t.value("desiredStatus", "").c_str(), cs.c_str());
    if (t.contains("waitingReason"))
      std::printf("%-12s  %s\n", "", t["waitingReason"].get<std::string>().c_str());
  }
  return 0;
}

const RegisterCommand kRegisterPs{"ps", "[-a] [--json]", "list tasks run by the daemon", ps_command};

}  // namespace
}  // namespace ecsd::cli
