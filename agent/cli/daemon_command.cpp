// `ecsd daemon`: the long-running engine for a data dir. Serves the CLI on
// <data-dir>/ecsd.sock; `ecsd run` starts it in the background when needed.
// SIGTERM/SIGINT stop the daemon; the containers keep running and are
// adopted by the next daemon.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "agent/cli/commands.h"
#include "agent/engine/engine.h"
#include "agent/engine/server.h"

namespace ecsd::cli {
namespace {

int daemon_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::printf("usage: ecsd [--data-dir DIR] daemon\n\n"
                  "Runs the task engine for DIR and serves DIR/ecsd.sock. Configuration from the\n"
                  "environment: ECS_CONTAINER_STOP_TIMEOUT, ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION,\n"
                  "ECS_CONTAINER_START_TIMEOUT, ECS_IMAGE_PULL_BEHAVIOR, ECS_RESERVED_MEMORY,\n"
                  "ECS_RESERVED_PORTS, ECS_RESERVED_PORTS_UDP, ECS_DYNAMIC_HOST_PORT_RANGE,\n"
                  "ECSD_INSECURE_REGISTRIES, ECSD_BRIDGE_NAME, ECSD_BRIDGE_SUBNET (see docs/engine.md).\n");
      return 0;
    }
    std::fprintf(stderr, "ecsd daemon: unknown argument %s\n", a.c_str());
    return 2;
  }
  // Signals go to sigwait below, not to the engine's threads.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Few threads, little allocation: one arena is plenty (a second one kept
  // ~1 MB of idle RssAnon that malloc_trim could not give back).
  ::mallopt(M_ARENA_MAX, 1);

  auto cfg = engine::config_from_env(g.data_dir);
  if (!cfg) {
    std::fprintf(stderr, "ecsd daemon: %s\n", cfg.error().message.c_str());
    return 1;
  }
  std::atomic<engine::Server*> server_ptr{nullptr};
  cfg->on_change = [&server_ptr](const engine::StateChange& e) {
    std::fprintf(stderr, "ecsd: task %s%s%s %s%s%s\n", e.task_id.substr(0, 12).c_str(), e.container.empty() ? "" : " ",
                 e.container.c_str(), e.health.empty() ? e.status.c_str() : e.health.c_str(),
                 e.exit_code ? (" exit " + std::to_string(*e.exit_code)).c_str() : "",
                 e.reason.empty() ? "" : (" (" + e.reason + ")").c_str());
    if (auto* s = server_ptr.load()) s->notify();
  };
  auto eng = engine::Engine::open(std::move(*cfg));
  if (!eng) {
    std::fprintf(stderr, "ecsd daemon: %s\n", eng.error().message.c_str());
    return 1;
  }
  auto server = engine::Server::start(**eng, engine::socket_path(g.data_dir));
  if (!server) {
    std::fprintf(stderr, "ecsd daemon: %s\n", server.error().message.c_str());
    return 1;
  }
  server_ptr = server->get();
  {
    // For scripts and tests: the daemon's pid (removed on a clean stop).
    std::string pidfile = g.data_dir + "/ecsd.pid";
    if (FILE* f = std::fopen(pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", ::getpid());
      std::fclose(f);
    }
  }
  std::fprintf(stderr, "ecsd: daemon %d serving %s\n", ::getpid(), engine::socket_path(g.data_dir).c_str());
  int sig = 0;
  while (sigwait(&set, &sig) == 0) {
    if (sig == SIGHUP) continue;
    break;
  }
  std::fprintf(stderr, "ecsd: daemon stopping on signal %d; containers keep running\n", sig);
  (*server)->stop();
  server_ptr = nullptr;
  (*eng)->shutdown();
  ::unlink((g.data_dir + "/ecsd.pid").c_str());
  return 0;
}

const RegisterCommand kRegisterDaemon{"daemon", "", "run the task engine for the data dir (serves ecsd.sock)",
                                      daemon_command};

}  // namespace
}  // namespace ecsd::cli
