// `ecsd agent`: the ECS agent daemon, as the systemd unit runs it.
//   config (/etc/ecs/ecs.config + environment) -> IMDS identity and region ->
//   credentials chain -> RegisterContainerInstance (re-registering with the
//   saved ARN) -> the task engine (in process, also serving ecsd.sock) ->
//   the ACS session (tasks in) and the reporter (state changes out).
// SIGTERM/SIGINT: stop cleanly; containers keep running and the next start
// adopts them. A terminal registration error exits with status 5.
// `ecsd status`: what the running (or last) agent wrote to
// <data-dir>/agent/status.json.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/acs/reporter.h"
#include "agent/acs/session.h"
#include "agent/aws/credentials.h"
#include "agent/aws/endpoints.h"
#include "agent/aws/imds.h"
#include "agent/cli/commands.h"
#include "agent/config/config.h"
#include "agent/ecs/asm_credentials.h"
#include "agent/ecs/client.h"
#include "agent/ecs/ecr_credentials.h"
#include "agent/ecs/registration.h"
#include "agent/engine/engine.h"
#include "agent/engine/server.h"
#include "agent/notify/notify.h"
#include "common/file_util.h"
#include "common/version.h"
#include "runtime/image/reference.h"

namespace ecsd::cli {
namespace {

constexpr int kExitError = 1;

std::string config_path_default() {
  if (const char* p = std::getenv("ECSD_CONFIG_FILE"); p && *p) return p;
  return config::kDefaultConfigFile;
}

void set_log_level(const std::string& level) {
  if (level == "debug") spdlog::set_level(spdlog::level::debug);
  else if (level == "warn") spdlog::set_level(spdlog::level::warn);
  else if (level == "error") spdlog::set_level(spdlog::level::err);
  else if (level == "crit") spdlog::set_level(spdlog::level::critical);
  else spdlog::set_level(spdlog::level::info);
}

std::string task_status_name(task::TaskStatus s) { return std::string(task::to_string(s)); }

// Engine events -> reporter events (ACS tasks only; local `ecsd run` tasks
// have no ARN and are not reported).
class EngineEvents : public acs::EventSource {
 public:
  explicit EngineEvents(engine::Engine& e) : engine_(e) {}
  std::vector<acs::Event> wait_events(uint64_t after, int timeout_ms) override {
    std::vector<acs::Event> out;
    auto changes = engine_.wait_events(after, timeout_ms);
    for (const auto& c : changes) {
      acs::Event ev;
      ev.seq = c.seq;
      ev.task_arn = c.task_arn;
      ev.container = c.container;
      ev.status = c.health.empty() ? c.status : "";  // health-only changes are not status changes
      ev.exit_code = c.exit_code;
      ev.reason = c.reason;
      ev.at = static_cast<double>(c.at_ms) / 1000.0;
      for (const auto& b : c.bindings) ev.bindings.push_back({b.bind_ip, b.container_port, b.host_port, b.protocol});
      if (!c.container.empty()) {
        if (auto t = engine_.task(c.task_id)) {
          if (const auto* rec = t->find(c.container)) {
            ev.runtime_id = rec->runtime_id;
            ev.image_digest = rec->image_digest;
          }
          // Host network mode: the container's ports are the host's; ECS expects
          // them as networkBindings (as the Go agent reports them).
          if (ev.bindings.empty() && c.status == "RUNNING" && t->model.network_mode == task::NetworkMode::host) {
            for (const auto& m : t->model.containers) {
              if (m.name != c.container) continue;
              for (const auto& pm : m.port_mappings) {
                if (pm.container_port <= 0) continue;
                int host = static_cast<int>(pm.host_port.value_or(pm.container_port));
                if (host == 0) host = static_cast<int>(pm.container_port);
                ev.bindings.push_back({"0.0.0.0", static_cast<int>(pm.container_port), host, pm.protocol});
              }
            }
          }
        }
      }
      if (ev.task_arn.empty()) ev.status = "";  // not an ECS task: skipped by the batcher
      out.push_back(std::move(ev));
    }
    return out;
  }

 private:
  engine::Engine& engine_;
};

class AgentTasks : public acs::SessionHandler {
 public:
  AgentTasks(engine::Engine& e, std::string cluster, std::string region,
             std::shared_ptr<aws::CredentialsChain> instance_creds, std::shared_ptr<ecs::EcrCredentialProvider> ecr,
             std::shared_ptr<image::StaticCredentialProvider> asm_creds)
      : engine_(e),
        cluster_(std::move(cluster)),
        region_(std::move(region)),
        instance_creds_(std::move(instance_creds)),
        ecr_(std::move(ecr)),
        asm_(std::move(asm_creds)) {}
  void set_reporter(acs::Reporter* r) { reporter_ = r; }

  // repositoryCredentials (registryAuthentication type asm): the secret is
  // read with the execution role's credentials (else the instance's) and
  // used for the image's registry. Errors name the secret.
  Status fetch_private_registry_credentials(const nlohmann::json& t) {
    if (!asm_ || !t.contains("containers") || !t["containers"].is_array()) return {};
    std::shared_ptr<aws::CredentialsChain> signer = instance_creds_;
    if (auto role = execution_role(t)) {
      std::vector<std::unique_ptr<aws::CredentialsProvider>> v;
      v.push_back(std::make_unique<aws::StaticProvider>(*role));
      signer = std::make_shared<aws::CredentialsChain>(std::move(v));
    }
    for (const auto& ct : t["containers"]) {
      if (!ct.contains("registryAuthentication") || !ct["registryAuthentication"].is_object()) continue;
      const auto& ra = ct["registryAuthentication"];
      if (ra.value("type", "") != "asm" || !ra.contains("asmAuthData")) continue;
      ecs::AsmRequest req;
      req.secret_arn = ra["asmAuthData"].value("credentialsParameter", "");
      req.region = ra["asmAuthData"].value("region", region_);
      auto creds = ecs::fetch_registry_credentials(req, signer);
      if (!creds) return fail(creds.error());
      auto ref = image::parse_reference(ct.value("image", ""));
      if (!ref) return fail(ref.error());
      asm_->set(ref->domain, *creds);
    }
    return {};
  }

  static std::optional<aws::Credentials> execution_role(const nlohmann::json& t) {
    if (!t.contains("executionRoleCredentials") || !t["executionRoleCredentials"].is_object()) return std::nullopt;
    const auto& c = t["executionRoleCredentials"];
    aws::Credentials creds;
    creds.access_key_id = c.value("accessKeyId", "");
    creds.secret_access_key = c.value("secretAccessKey", "");
    creds.session_token = c.value("sessionToken", "");
    creds.source = "execution-role:" + c.value("roleArn", "");
    if (auto exp = aws::parse_iso8601(c.value("expiration", "")); exp) creds.expiration = *exp;
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) return std::nullopt;
    return creds;
  }

  // executionRoleCredentials: used for ECR tokens of the task's registries.
  void note_execution_role(const nlohmann::json& t) {
    if (!ecr_ || !t.contains("executionRoleCredentials") || !t["executionRoleCredentials"].is_object()) return;
    const auto& c = t["executionRoleCredentials"];
    aws::Credentials creds;
    creds.access_key_id = c.value("accessKeyId", "");
    creds.secret_access_key = c.value("secretAccessKey", "");
    creds.session_token = c.value("sessionToken", "");
    creds.source = "execution-role:" + c.value("roleArn", "");
    if (auto exp = aws::parse_iso8601(c.value("expiration", "")); exp) creds.expiration = *exp;
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) return;
    if (t.contains("containers") && t["containers"].is_array())
      for (const auto& ct : t["containers"])
        if (auto ref = image::parse_reference(ct.value("image", ""))) ecr_->set_host_credentials(ref->domain, creds);
  }

  void on_tasks(const std::vector<nlohmann::json>& tasks) override {
    for (const auto& t : tasks) {
      std::string arn = t.value("arn", "");
      std::string desired = t.value("desiredStatus", "RUNNING");
      if (arn.empty()) continue;
      auto existing = engine_.task(arn);
      if (desired == "STOPPED") {
        if (existing) {
          if (existing->desired != task::TaskStatus::stopped) {
            auto s = engine_.stop(existing->id);
            if (!s) spdlog::warn("stopping {}: {}", arn, s.error().message);
          }
        } else {
          refuse(t, "");  // never ran here: tell ECS it is stopped
        }
        continue;
      }
      if (existing) continue;  // ACS re-sent it
      note_execution_role(t);
      if (auto s = fetch_private_registry_credentials(t); !s) {
        spdlog::error("task {}: {}", arn, s.error().message);
        refuse(t, "ResourceInitializationError: unable to pull secrets or registry auth: " + s.error().message);
        continue;
      }
      auto id = engine_.submit(engine::SourceKind::acs, t.dump(), arn);
      if (!id) {
        spdlog::error("task {} refused: {}", arn, id.error().message);
        refuse(t, task::cannot_create_reason(id.error().message));
      } else {
        spdlog::info("task {} accepted as {}", arn, *id);
      }
    }
  }
  std::vector<std::string> running_task_arns() override {
    std::vector<std::string> out;
    for (const auto& t : engine_.tasks())
      if (!t.arn.empty() && t.known != task::TaskStatus::stopped) out.push_back(t.arn);
    return out;
  }
  void stop_tasks(const std::vector<std::string>& arns) override {
    for (const auto& a : arns)
      if (auto t = engine_.task(a)) (void)engine_.stop(t->id);
  }

 private:
  void refuse(const nlohmann::json& t, const std::string& reason) {
    if (!reporter_) return;
    ecs::TaskChange c;
    c.cluster = cluster_;
    c.task_arn = t.value("arn", "");
    c.status = "STOPPED";
    c.reason = reason;
    if (t.contains("containers") && t["containers"].is_array())
      for (const auto& ct : t["containers"]) {
        ecs::ContainerChange cc;
        cc.name = ct.value("name", "");
        cc.status = "STOPPED";
        cc.reason = reason;
        c.containers.push_back(cc);
      }
    reporter_->submit_extra(c);
  }
  engine::Engine& engine_;
  std::string cluster_;
  std::string region_;
  std::shared_ptr<aws::CredentialsChain> instance_creds_;
  std::shared_ptr<ecs::EcrCredentialProvider> ecr_;
  std::shared_ptr<image::StaticCredentialProvider> asm_;
  acs::Reporter* reporter_ = nullptr;
};

void write_status(const std::string& path, const std::string& cluster, const std::string& arn,
                  const acs::SessionStatus& s, const acs::ReporterStats& r, engine::Engine& eng, bool running) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : eng.tasks()) {
    if (t.arn.empty()) continue;
    tasks.push_back({{"arn", t.arn},
                     {"id", t.id},
                     {"known", task_status_name(t.known)},
                     {"desired", task_status_name(t.desired)},
                     {"stoppedReason", t.stopped_reason}});
  }
  nlohmann::json j{{"pid", running ? ::getpid() : 0},
                   {"running", running},
                   {"cluster", cluster},
                   {"containerInstanceArn", arn},
                   {"acs",
                    {{"connected", s.connected},
                     {"connections", s.connections},
                     {"failures", s.failures},
                     {"payloads", s.payloads},
                     {"seqNum", s.seq_num},
                     {"lastError", s.last_error}}},
                   {"reporter",
                    {{"submitted", r.submitted}, {"retries", r.retries}, {"dropped", r.dropped}, {"cursor", r.cursor}}},
                   {"tasks", tasks}};
  (void)write_file_atomic(path, j.dump(2) + "\n");
}

int agent_command(const GlobalOptions& global, const std::vector<std::string>& args) {
  config::LoadOptions lo;
  lo.file_path = config_path_default();
  lo.default_data_dir = global.data_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      lo.file_path = args[++i];
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::printf(
          "usage: ecsd [--data-dir DIR] agent [--config FILE]\n\n"
          "Joins the ECS cluster ECS_CLUSTER and runs what ECS places on this instance.\n"
          "Configuration: FILE (default $ECSD_CONFIG_FILE, else /etc/ecs/ecs.config) and the\n"
          "environment (see `ecsd config` and docs/cluster.md). Exit status 5: a terminal\n"
          "registration error (do not restart); 1: any other failure.\n");
      return 0;
    } else {
      std::fprintf(stderr, "ecsd agent: unknown argument %s\n", args[i].c_str());
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto loaded = config::load(lo);
  if (!loaded) {
    std::fprintf(stderr, "ecsd agent: %s\n", loaded.error().message.c_str());
    return kExitError;
  }
  const config::Config& cfg = loaded->config;
  {
    // Logs go to stderr (journald under systemd), and to ECS_LOGFILE when set.
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    if (!cfg.log_file.empty()) {
      try {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(cfg.log_file));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ecsd agent: ECS_LOGFILE=%s: %s\n", cfg.log_file.c_str(), e.what());
        return kExitError;
      }
    }
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("ecsd", sinks.begin(), sinks.end()));
  }
  set_log_level(cfg.log_level);
  for (const auto& w : loaded->warnings) spdlog::warn("config: {}", w);
  const std::string data_dir = cfg.data_dir;
  const std::string agent_dir = data_dir + "/agent";
  if (auto s = make_dirs(agent_dir, 0700); !s) {
    spdlog::critical("{}", s.error().message);
    return kExitError;
  }

  // Identity, region, credentials, endpoint.
  auto imds = std::make_shared<aws::ImdsClient>();
  auto identity = imds->identity();
  if (!identity) {
    spdlog::critical("instance identity: {}", identity.error().message);
    return kExitError;
  }
  std::string region = cfg.region.empty() ? identity->region : cfg.region;
  auto creds = aws::CredentialsChain::default_chain(imds);
  ecs::ClientOptions co;
  co.endpoint = aws::service_endpoint("ecs", region, cfg.backend_host);
  co.region = region;
  co.credentials = creds;
  co.user_agent = std::string("ecsd/") + kVersion;
  ecs::Client client(co);
  spdlog::info("ecsd {} joining cluster {} in {} via {}", kVersion, cfg.cluster, region, co.endpoint);

  // Registration (re-registration with the saved ARN for the same cluster).
  const std::string reg_path = agent_dir + "/registration.json";
  std::string saved_arn;
  if (auto text = read_file(reg_path)) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.value("cluster", "") == cfg.cluster) saved_arn = j.value("containerInstanceArn", "");
  }
  auto resources = ecs::host_resources(cfg);
  if (!resources) {
    spdlog::critical("host resources: {}", resources.error().message);
    return ecs::kExitTerminal;
  }
  ecs::RegistrationInput in;
  in.cluster = cfg.cluster;
  in.identity_document = identity->document;
  in.identity_signature = identity->signature;
  in.resources = *resources;
  in.attributes = ecs::instance_attributes(cfg);
  in.tags = cfg.instance_tags;
  in.existing_arn = saved_arn;
  auto reg = ecs::register_container_instance(client, in);
  if (!reg) {
    spdlog::critical("registering with cluster {}: {}", cfg.cluster, reg.error().str());
    return reg.error().retryable ? kExitError : ecs::kExitTerminal;
  }
  const std::string arn = reg->container_instance_arn;
  (void)write_file_atomic(reg_path, nlohmann::json{{"cluster", cfg.cluster}, {"containerInstanceArn", arn},
                                                   {"region", region}}.dump() + "\n");
  spdlog::info("registered as {}", arn);

  // The engine.
  auto ecfg = engine::config_from_env(data_dir);
  if (!ecfg) {
    spdlog::critical("{}", ecfg.error().message);
    return kExitError;
  }
  ecfg->stop_timeout_ms = cfg.container_stop_timeout.count();
  ecfg->cleanup_wait_ms = cfg.task_cleanup_wait.count();
  ecfg->default_start_timeout_ms = cfg.container_start_timeout.count();
  ecfg->pull_policy = static_cast<image::PullPolicy>(static_cast<int>(cfg.image_pull_behavior));
  engine::HostCapacity cap;
  cap.cpu = resources->cpu;
  cap.memory_mib = resources->memory_mib;
  for (auto p : resources->ports) cap.reserved_ports.insert({p, "tcp"});
  for (auto p : cfg.reserved_ports_udp) cap.reserved_ports.insert({p, "udp"});
  ecfg->capacity = cap;
  // Bridge networking: the same reserved ports as the accounting, and the
  // dynamic range (the environment or /etc/ecs/ecs.config).
  ecfg->network.reserved_ports = cfg.reserved_ports;
  ecfg->network.reserved_ports_udp = cfg.reserved_ports_udp;
  ecfg->network.dynamic_ports = {cfg.dynamic_host_port_first, cfg.dynamic_host_port_last};
  std::shared_ptr<ecs::EcrCredentialProvider> ecr;
  auto asm_creds = std::make_shared<image::StaticCredentialProvider>();
  {
    ecs::EcrCredentialProvider::Options eo;
    eo.region = region;
    eo.credentials = creds;
    ecr = std::make_shared<ecs::EcrCredentialProvider>(eo);
    // Secrets Manager credentials (per registry, from the tasks) first, then ECR.
    auto chain = std::make_shared<image::ChainCredentialProvider>();
    chain->add(asm_creds);
    chain->add(ecr);
    ecfg->registry_credentials = chain;
  }
  std::atomic<engine::Server*> server_ptr{nullptr};
  ecfg->on_change = [&server_ptr](const engine::StateChange&) {
    if (auto* s = server_ptr.load()) s->notify();
  };
  auto eng = engine::Engine::open(std::move(*ecfg));
  if (!eng) {
    spdlog::critical("opening the engine: {}", eng.error().message);
    return kExitError;
  }
  auto server = engine::Server::start(**eng, engine::socket_path(data_dir));
  if (!server) {
    spdlog::critical("{}", server.error().message);
    return kExitError;
  }
  server_ptr = server->get();

  // Reporter and ACS session.
  EngineEvents events(**eng);
  acs::Reporter reporter(cfg.cluster, client, events, agent_dir + "/reporter.cursor");
  AgentTasks tasks(**eng, cfg.cluster, region, creds, ecr, asm_creds);
  tasks.set_reporter(&reporter);
  acs::SessionOptions so;
  so.cluster = cfg.cluster;
  so.container_instance_arn = arn;
  so.region = region;
  so.credentials = creds;
  so.discover = [&] { return client.discover_poll_endpoint(cfg.cluster, arn); };
  so.invalidate_endpoint = [&] { client.invalidate_poll_endpoint(); };
  so.agent_version = kVersion;
  so.agent_hash = kGitCommit;
  so.docker_version = std::string("ecsd ") + kVersion;
  if (const char* hb = std::getenv("ECSD_ACS_HEARTBEAT_TIMEOUT"); hb && *hb) {
    if (auto d = config::parse_go_duration(hb)) {
      so.heartbeat_timeout = *d;
      so.heartbeat_jitter = *d / 10;
    }
  }
  acs::Session session(so, tasks);
  std::thread reporter_thread([&] { reporter.run(); });
  std::thread session_thread([&] { session.run(); });
  std::atomic<bool> stopping{false};
  const std::string status_path = agent_dir + "/status.json";
  std::thread status_thread([&] {
    while (!stopping) {
      write_status(status_path, cfg.cluster, arn, session.status(), reporter.stats(), **eng, true);
      for (int i = 0; i < 10 && !stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  {
    std::string pidfile = agent_dir + "/ecsd-agent.pid";
    (void)write_file_atomic(pidfile, std::to_string(::getpid()) + "\n");
  }
  // systemd (Type=notify, WatchdogSec=): ready once registered and serving;
  // watchdog pings from this loop at half the interval (agent/notify/notify.h).
  notify::notify_ready("registered as " + arn + " in cluster " + cfg.cluster);
  const auto watchdog = notify::watchdog_interval();
  const auto tick = watchdog ? *watchdog / 2 : std::chrono::microseconds(std::chrono::seconds(30));
  const timespec wait_ts{static_cast<time_t>(tick.count() / 1000000), static_cast<long>(tick.count() % 1000000) * 1000};
  int sig = 0;
  for (;;) {
    sig = sigtimedwait(&set, nullptr, &wait_ts);
    if (sig < 0) {
      if (errno != EAGAIN && errno != EINTR) break;
      if (watchdog) notify::notify_watchdog();
      continue;
    }
    if (sig == SIGHUP) continue;
    break;
  }
  notify::notify_stopping();
  spdlog::info("stopping on signal {}; containers keep running", sig);
  stopping = true;
  session.stop();
  reporter.stop();
  session_thread.join();
  reporter_thread.join();
  status_thread.join();
  write_status(status_path, cfg.cluster, arn, session.status(), reporter.stats(), **eng, false);
  (*server)->stop();
  server_ptr = nullptr;
  (*eng)->shutdown();
  ::unlink((agent_dir + "/ecsd-agent.pid").c_str());
  return 0;
}

int status_command(const GlobalOptions& global, const std::vector<std::string>& args) {
  bool json = !args.empty() && args[0] == "--json";
  config::LoadOptions lo;
  lo.file_path = config_path_default();
  lo.default_data_dir = global.data_dir;
  std::string data_dir = global.data_dir;
  if (auto l = config::load(lo)) data_dir = l->config.data_dir;
  auto text = read_file(data_dir + "/agent/status.json");
  if (!text) {
    std::fprintf(stderr, "ecsd status: no agent status in %s/agent (has `ecsd agent` run?)\n", data_dir.c_str());
    return 1;
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "ecsd status: unreadable %s/agent/status.json\n", data_dir.c_str());
    return 1;
  }
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  bool running = j.value("running", false) && j.value("pid", 0) > 0 && ::kill(j.value("pid", 0), 0) == 0;
  std::printf("agent:               %s\n", running ? ("running (pid " + std::to_string(j.value("pid", 0)) + ")").c_str()
                                                    : "not running");
  std::printf("cluster:             %s\n", j.value("cluster", "").c_str());
  std::printf("container instance:  %s\n", j.value("containerInstanceArn", "").c_str());
  const auto& a = j["acs"];
  std::printf("ACS:                 %s (%llu connections, seqNum %lld)%s%s\n",
              a.value("connected", false) && running ? "connected" : "disconnected",
              static_cast<unsigned long long>(a.value("connections", 0ULL)), static_cast<long long>(a.value("seqNum", 0LL)),
              a.value("lastError", "").empty() ? "" : ", last error: ", a.value("lastError", "").c_str());
  const auto& r = j["reporter"];
  std::printf("state changes:       %llu submitted, %llu retries, %llu dropped\n",
              static_cast<unsigned long long>(r.value("submitted", 0ULL)),
              static_cast<unsigned long long>(r.value("retries", 0ULL)),
              static_cast<unsigned long long>(r.value("dropped", 0ULL)));
  std::printf("tasks:               %zu\n", j["tasks"].size());
  for (const auto& t : j["tasks"])
    std::printf("  %-8s -> %-8s %s\n", t.value("known", "").c_str(), t.value("desired", "").c_str(),
                t.value("arn", "").c_str());
  return 0;
}

const RegisterCommand reg_agent{"agent", "[--config FILE]", "join the ECS cluster and run its tasks (the daemon)",
                                agent_command};
const RegisterCommand reg_status{"status", "[--json]", "show the agent's cluster, instance, ACS connection and tasks",
                                 status_command};

}  // namespace
}  // namespace ecsd::cli
