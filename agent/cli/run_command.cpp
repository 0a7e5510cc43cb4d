// `ecsd run TASKDEF.json|-`: runs a task definition on this host through the
// daemon (started in the background if needed). In the foreground it streams
// every container's output prefixed with its name, shows status changes,
// stops the task on Ctrl-C (a second Ctrl-C detaches), and exits with the
// exit code of the essential container that ended the task.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "agent/cli/commands.h"
#include "agent/engine/client.h"
#include "agent/engine/log_reader.h"
#include "agent/engine/task_json.h"

namespace ecsd::cli {
namespace {

volatile sig_atomic_t g_interrupts = 0;
void on_interrupt(int) { g_interrupts = g_interrupts + 1; }

void run_usage(FILE* out) {
  std::fprintf(out,
               "usage: ecsd [--data-dir DIR] run [--detach|-d] [--wait-running] [--acs] [--no-color] TASKDEF.json|-\n"
               "\n"
               "TASKDEF: a RegisterTaskDefinition JSON, or what `aws ecs describe-task-definition`\n"
               "prints; `-` reads it from stdin. --acs: the input is an ACS task payload.\n"
               "--detach prints the task id and leaves the task to the daemon (ecsd ps/stop/inspect/logs);\n"
               "--wait-running: detach once the task is RUNNING (exit 1 if it stops first).\n");
}

const char* kColors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m", "\033[31m"};

struct Tail {
  std::string name;
  std::string color;
  engine::LogFollower follower;
  std::string pending;  // a line without its newline yet
};

}  // namespace

int run_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool detach = false, acs = false, wait_running = false, color = ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  std::string file;
  for (const auto& a : args) {
    if (a == "-d" || a == "--detach") detach = true;
    else if (a == "--wait-running") detach = wait_running = true;
    else if (a == "--acs") acs = true;
    else if (a == "--no-color") color = false;
    else if (a == "-h" || a == "--help") {
      run_usage(stdout);
      return 0;
    } else if (a != "-" && !a.empty() && a[0] == '-') {
      std::fprintf(stderr, "ecsd run: unknown option %s\n", a.c_str());
      run_usage(stderr);
      return 2;
    } else if (!file.empty()) {
      std::fprintf(stderr, "ecsd run: more than one task definition given\n");
      return 2;
    } else {
      file = a;
    }
  }
  if (file.empty()) {
    run_usage(stderr);
    return 2;
  }
  std::stringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "ecsd run: cannot read %s\n", file.c_str());
      return 1;
    }
    ss << in.rdbuf();
  }
  auto client = engine::Client::connect(g.data_dir, true);
  if (!client) {
    std::fprintf(stderr, "ecsd run: %s\n", client.error().message.c_str());
    return 1;
  }
  // Follow events before submitting, so nothing is missed.
  auto events = engine::Client::connect(g.data_dir, false);
  if ((!detach || wait_running) && events) {
    auto r = events->call({{"op", "events"}, {"follow", true}, {"task", ""}});
    if (!r) {
      std::fprintf(stderr, "ecsd run: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  auto sub = client->call({{"op", "submit"}, {"source", acs ? "acs" : "task-definition"}, {"json", ss.str()}});
  if (!sub) {
    std::fprintf(stderr, "ecsd run: %s\n", sub.error().message.c_str());
    return 1;
  }
  std::string id = (*sub)["id"].get<std::string>();
  if (detach && wait_running && events) {
    // Until the task is RUNNING (0) or has stopped first (1).
    for (;;) {
      auto ev = events->read(-1);
      if (!ev) {
        std::fprintf(stderr, "ecsd run: %s\n", ev.error().message.c_str());
        return 1;
      }
      if (!*ev || !(**ev).contains("event")) continue;
      auto e = engine::event_from_json((**ev)["event"]);
      if (e.task_id != id || !e.container.empty()) continue;
      if (e.status == "RUNNING") break;
      if (e.status == "STOPPED") {
        std::fprintf(stderr, "ecsd run: task %s stopped before running: %s\n", id.c_str(), e.reason.c_str());
        return 1;
      }
    }
  }
  if (detach) {
    std::printf("%s\n", id.c_str());
    return 0;
  }
  if (!events) {
    std::fprintf(stderr, "ecsd run: %s\n", events.error().message.c_str());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto info = client->call({{"op", "inspect"}, {"task", id}});
  std::map<std::string, bool> essential;
  std::optional<int> exit_code;  // of the first essential container that stopped with one
  std::vector<Tail> tails;
  size_t width = 0;
  if (info) {
    size_t i = 0;
    for (const auto& c : (*info)["task"]["containers"]) {
      std::string name = c["name"].get<std::string>();
      essential[name] = c.value("essential", true);
      width = std::max(width, name.size());
      tails.push_back({name, color ? kColors[i++ % 6] : "",
                       engine::LogFollower(g.data_dir + "/logs/" + id + "/" + name + ".log"), ""});
    }
  }
  const char* reset = color ? "\033[0m" : "";
  const char* dim = color ? "\033[2m" : "";
  auto pump_logs = [&] {
    for (auto& t : tails)
      t.follower.poll([&](const engine::LogLine& l) {
        t.pending += l.log;
        if (t.pending.empty() || t.pending.back() != '\n') return;
        std::string pad(width - t.name.size(), ' ');
        FILE* out = l.stream == "stderr" ? stderr : stdout;
        std::fprintf(out, "%s%s%s | %s%s", t.color.c_str(), t.name.c_str(), pad.c_str(), reset, t.pending.c_str());
        std::fflush(out);
        t.pending.clear();
      });
  };
  std::fprintf(stderr, "%secsd: task %s (%s)%s\n", dim, id.c_str(),
               info ? (*info)["task"].value("family", "").c_str() : "", reset);
  int handled = 0;
  bool stopped = false;
  while (!stopped) {
    if (g_interrupts > handled) {
      handled = g_interrupts;
      if (handled == 1) {
        std::fprintf(stderr, "%secsd: stopping task %s (Ctrl-C again to detach)%s\n", dim, id.substr(0, 12).c_str(), reset);
        auto c2 = engine::Client::connect(g.data_dir, false);
        if (c2) c2->call({{"op", "stop"}, {"task", id}});
      } else {
        std::fprintf(stderr, "ecsd: detached; the task keeps stopping under the daemon (ecsd ps)\n");
        return 130;
      }
    }
    auto ev = events->read(100);
    pump_logs();
    if (!ev) {
      std::fprintf(stderr, "ecsd run: %s\n", ev.error().message.c_str());
      return 1;
    }
    if (!*ev) continue;
    const auto& j = **ev;
    if (!j.contains("event")) continue;
    auto e = engine::event_from_json(j["event"]);
    if (e.task_id != id) continue;
    std::string what = e.container.empty() ? "task" : e.container;
    std::string detail;
    if (e.exit_code) detail += " exit code " + std::to_string(*e.exit_code);
    if (!e.reason.empty()) detail += (detail.empty() ? " " : ", ") + e.reason;
    std::fprintf(stderr, "%secsd: %s %s%s%s\n", dim, what.c_str(), e.health.empty() ? e.status.c_str() : e.health.c_str(),
                 detail.c_str(), reset);
    if (!e.container.empty() && e.status == "STOPPED" && e.exit_code && essential[e.container] && !exit_code)
      exit_code = e.exit_code;
    if (e.container.empty() && e.status == "STOPPED") stopped = true;
  }
  pump_logs();
  for (auto& t : tails)
    if (!t.pending.empty()) std::printf("%s%s%s | %s%s\n", t.color.c_str(), t.name.c_str(), std::string(width - t.name.size(), ' ').c_str(), reset, t.pending.c_str());
  // Exit code: the essential container that stopped first (1 when none
  // has one, e.g. the image could not be pulled).
  return exit_code.value_or(1);
}

namespace {
const RegisterCommand kRegisterRun{"run", "[--detach] TASKDEF.json|-", "run an ECS task definition on this host",
                                   run_command};
}  // namespace

}  // namespace ecsd::cli
