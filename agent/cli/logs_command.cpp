// `ecsd logs [-f] [-t] TASK [CONTAINER]`: the json-file logs of a task's
// containers, read from <data-dir>/logs/<task>/ (no daemon needed). With
// several containers each line is prefixed with the container name. -f
// follows until Ctrl-C or until the task has stopped.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "agent/cli/commands.h"
#include "agent/engine/client.h"
#include "agent/engine/log_reader.h"

namespace ecsd::cli {
namespace {

volatile sig_atomic_t g_stop = 0;
void on_sig(int) { g_stop = 1; }

std::vector<std::string> list_dir(const std::string& d) {
  std::vector<std::string> out;
  if (DIR* dir = ::opendir(d.c_str())) {
    while (auto* e = ::readdir(dir))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(dir);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int logs_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool follow = false, timestamps = false;
  std::vector<std::string> pos;
  for (const auto& a : args) {
    if (a == "-f" || a == "--follow") follow = true;
    else if (a == "-t" || a == "--timestamps") timestamps = true;
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "usage: ecsd logs [-f] [-t] TASK [CONTAINER]\n");
      return a == "-h" || a == "--help" ? 0 : 2;
    } else pos.push_back(a);
  }
  if (pos.empty() || pos.size() > 2) {
    std::fprintf(stderr, "usage: ecsd logs [-f] [-t] TASK [CONTAINER]\n");
    return 2;
  }
  std::string root = g.data_dir + "/logs";
  std::vector<std::string> match;
  for (const auto& d : list_dir(root))
    if (d.rfind(pos[0], 0) == 0) match.push_back(d);
  if (match.empty()) {
    // A task the daemon knows whose containers have not started yet.
    if (auto c = engine::Client::connect(g.data_dir, false)) {
      if (auto r = c->call({{"op", "inspect"}, {"task", pos[0]}})) {
        std::string id = (*r)["task"].value("id", "");
        if (!follow) return 0;
        for (int i = 0; i < 600 && ::access((root + "/" + id).c_str(), F_OK) != 0; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        match.push_back(id);
      }
    }
  }
  if (match.empty()) {
    std::fprintf(stderr, "ecsd logs: no logs for task %s in %s\n", pos[0].c_str(), root.c_str());
    return 1;
  }
  if (match.size() > 1) {
    std::fprintf(stderr, "ecsd logs: task id prefix %s is ambiguous\n", pos[0].c_str());
    return 1;
  }
  std::string dir = root + "/" + match[0];
  std::vector<std::string> names;
  for (const auto& f : list_dir(dir))
    if (f.size() > 4 && f.substr(f.size() - 4) == ".log") names.push_back(f.substr(0, f.size() - 4));
  if (pos.size() == 2) {
    if (std::find(names.begin(), names.end(), pos[1]) == names.end()) {
      std::fprintf(stderr, "ecsd logs: task %s has no log for container %s\n", match[0].c_str(), pos[1].c_str());
      return 1;
    }
    names = {pos[1]};
  }
  bool prefix = names.size() > 1;
  size_t width = 0;
  for (const auto& n : names) width = std::max(width, n.size());
  auto printer = [&](const std::string& name) {
    return [&, name](const engine::LogLine& l) {
      FILE* out = l.stream == "stderr" ? stderr : stdout;
      std::string head;
      if (prefix) head = name + std::string(width - name.size(), ' ') + " | ";
      if (timestamps) head += l.time + " ";
      std::fprintf(out, "%s%s", head.c_str(), l.log.c_str());
      std::fflush(out);  // keep stdout and stderr lines in order on a terminal
    };
  };
  std::vector<engine::LogFollower> followers;
  for (const auto& n : names) {
    uint64_t end = 0;
    engine::read_all_logs(dir + "/" + n + ".log", printer(n), &end);
    followers.emplace_back(dir + "/" + n + ".log", end);
  }
  std::fflush(stdout);
  if (!follow) return 0;
  ::signal(SIGINT, on_sig);
  ::signal(SIGTERM, on_sig);
  int tick = 0;
  std::string only = pos.size() == 2 ? pos[1] : "";
  while (!g_stop) {
    // Containers whose log appeared since (created after we started).
    for (const auto& f : list_dir(dir)) {
      if (f.size() <= 4 || f.substr(f.size() - 4) != ".log") continue;
      std::string n = f.substr(0, f.size() - 4);
      if ((!only.empty() && n != only) || std::find(names.begin(), names.end(), n) != names.end()) continue;
      names.push_back(n);
      followers.emplace_back(dir + "/" + f, 0);
      width = std::max(width, n.size());
      prefix = prefix || names.size() > 1;
    }
    size_t got = 0;
    for (size_t i = 0; i < followers.size(); ++i) got += followers[i].poll(printer(names[i]));
    if (got) std::fflush(stdout);
    if (++tick % 10 == 0) {
      auto c = engine::Client::connect(g.data_dir, false);
      if (c) {
        auto r = c->call({{"op", "inspect"}, {"task", match[0]}});
        if (r && (*r)["task"].value("lastStatus", "") == "STOPPED") {
          for (size_t i = 0; i < followers.size(); ++i) followers[i].poll(printer(names[i]));
          break;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fflush(stdout);
  return 0;
}

const RegisterCommand kRegisterLogs{"logs", "[-f] [-t] TASK [CONTAINER]", "show a task's container logs",
                                    logs_command};

}  // namespace
}  // namespace ecsd::cli
