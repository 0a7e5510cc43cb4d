// `ecsd stop [--no-wait] TASK...`: desired status STOPPED; containers get
// their stop signal in reverse dependency order and SIGKILL after their stop
// timeout. Waits until each task has stopped unless --no-wait.
#include <cstdio>
#include <map>

#include "agent/cli/commands.h"
#include "agent/engine/client.h"

namespace ecsd::cli {
namespace {

int stop_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool wait = true;
  std::vector<std::string> ids;
  for (const auto& a : args) {
    if (a == "--no-wait") wait = false;
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "usage: ecsd stop [--no-wait] TASK...\n");
      return a == "-h" || a == "--help" ? 0 : 2;
    } else ids.push_back(a);
  }
  if (ids.empty()) {
    std::fprintf(stderr, "usage: ecsd stop [--no-wait] TASK...\n");
    return 2;
  }
  auto client = engine::Client::connect(g.data_dir, false);
  if (!client) {
    std::fprintf(stderr, "ecsd stop: %s\n", client.error().message.c_str());
    return 1;
  }
  // Stop them all first, then wait: stop timeouts run in parallel.
  int rc = 0;
  auto ev = engine::Client::connect(g.data_dir, false);
  if (wait && ev) ev->call({{"op", "events"}, {"follow", true}});
  std::map<std::string, bool> pending;  // full id -> stopped
  for (const auto& id : ids) {
    auto info = client->call({{"op", "inspect"}, {"task", id}});
    if (!info) {
      std::fprintf(stderr, "ecsd stop: %s\n", info.error().message.c_str());
      rc = 1;
      continue;
    }
    std::string full = (*info)["task"]["id"].get<std::string>();
    if (auto r = client->call({{"op", "stop"}, {"task", full}}); !r) {
      std::fprintf(stderr, "ecsd stop: %s\n", r.error().message.c_str());
      rc = 1;
      continue;
    }
    pending[full] = (*info)["task"].value("lastStatus", "") == "STOPPED";
  }
  // Tasks that stopped between the inspect and the subscription.
  for (auto& [id, done] : pending)
    if (!done)
      if (auto i = client->call({{"op", "inspect"}, {"task", id}}); i && (*i)["task"].value("lastStatus", "") == "STOPPED")
        done = true;
  auto all_done = [&] {
    for (const auto& [id, done] : pending)
      if (!done) return false;
    return true;
  };
  while (wait && ev && !all_done()) {
    auto line = ev->read(-1);
    if (!line) break;
    if (*line && (**line).contains("event")) {
      const auto& e = (**line)["event"];
      if (!e.contains("container") && e.value("status", "") == "STOPPED")
        if (auto it = pending.find(e.value("task", "")); it != pending.end()) it->second = true;
    }
  }
  for (const auto& [id, done] : pending) std::printf("%s\n", id.c_str());
  return rc;
}

const RegisterCommand kRegisterStop{"stop", "[--no-wait] TASK...", "stop tasks (stop signal, then SIGKILL)",
                                    stop_command};

}  // namespace
}  // namespace ecsd::cli
