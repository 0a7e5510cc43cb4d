// The operator's path end to end, as root: a cluster created with the AWS CLI,
// `ecsd agent` joining it through the test control plane
// (tests/fixtures/controlplane), tasks placed with `aws ecs run-task` running
// as real containers from a local registry, and what ECS (moto, as the
// control plane patches it with what the agent reported) shows afterwards.
// Faults: websocket drops, 5xx on state submissions, kill -9 of the agent.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/unit/ecs/control_plane.h"

using nlohmann::json;
using ecsd::testing::ControlPlane;

namespace {

std::string g_tmp, g_data, g_reg_dir, g_image, g_registry, g_ecr_dir, g_ecr_registry, g_priv_dir, g_priv_registry;
pid_t g_agent = -1;
std::unique_ptr<ControlPlane> g_cp;
const char* kCluster = "ecsd-it";

struct ShResult {
  int rc;
  std::string out;
};

ShResult sh(const std::string& cmd) {
  ShResult r{-1, ""};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ecsd() { return std::string(ECSD_BIN_DIR) + "/ecsd --data-dir " + g_data; }

template <typename F>
bool eventually(F f, std::chrono::seconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return f();
}

json agent_status() { return json::parse(read_text(g_data + "/agent/status.json"), nullptr, false); }

void start_agent() {
  pid_t p = ::fork();
  if (p == 0) {
    for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                          "AWS_DEFAULT_REGION", "AWS_REGION", "ECS_DATADIR", "AWS_ENDPOINT_URL"})
      ::unsetenv(v);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    ::setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    ::setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", g_cp->url.c_str(), 1);
    ::setenv("ECS_BACKEND_HOST", g_cp->url.c_str(), 1);
    ::setenv("AWS_ENDPOINT_URL_ECR", g_cp->url.c_str(), 1);
    ::setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", g_cp->url.c_str(), 1);
    ::setenv("ECS_CLUSTER", kCluster, 1);
    ::setenv("ECS_DATADIR", g_data.c_str(), 1);
    ::setenv("ECSD_CONFIG_FILE", "/nonexistent/ecs.config", 1);
    ::setenv("ECS_LOGLEVEL", "debug", 1);
    ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "2s", 1);
    ::setenv("ECS_INSTANCE_ATTRIBUTES", "{\"suite\":\"cluster\"}", 1);
    ::setenv("ECSD_ACS_HEARTBEAT_TIMEOUT", "10s", 1);
    ::setenv("ECSD_ECR_REGISTRY_HOSTS", g_ecr_registry.c_str(), 1);
    std::string log = g_tmp + "/agent.log";
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string bin = std::string(ECSD_BIN_DIR) + "/ecsd";
    ::execl(bin.c_str(), "ecsd", "agent", nullptr);
    dprintf(2, "exec %s: %s\n", bin.c_str(), strerror(errno));
    ::_exit(127);
  }
  g_agent = p;
}

bool agent_connected(uint64_t min_connections = 1) {
  int st = 0;
  if (g_agent > 0 && ::waitpid(g_agent, &st, WNOHANG) == g_agent) {
    std::fprintf(stderr, "ecsd agent exited early (status %d): %s\n", st, read_text(g_tmp + "/agent.log").c_str());
    g_agent = -1;
  }
  auto s = agent_status();
  return s.is_object() && s.value("pid", 0) == g_agent && s["acs"].value("connected", false) &&
         s["acs"].value("connections", 0ULL) >= min_connections;
}

void stop_agent(int sig) {
  if (g_agent <= 0) return;
  ::kill(g_agent, sig);
  int st;
  ::waitpid(g_agent, &st, 0);
  g_agent = -1;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

json cli(const std::string& args) { return g_cp->aws_cli(args); }

std::string register_taskdef(const std::string& family, const json& containers, const std::string& mode = "host",
                             const std::string& extra = "") {
  std::string path = g_tmp + "/" + family + ".json";
  std::ofstream(path) << containers.dump();
  auto r = cli("ecs register-task-definition --family " + family + " --network-mode " + mode +
               " --container-definitions file://" + path + " " + extra);
  return r.is_null() ? "" : r["taskDefinition"].value("taskDefinitionArn", "");
}

json container_def(const std::string& name, const std::string& command, bool essential = true,
                   const std::string& image = "") {
  return json{{"name", name},
              {"image", image.empty() ? g_image : image},
              {"memory", 32},
              {"essential", essential},
              {"command", json::array({"sh", "-c", command})}};
}

json describe_task(const std::string& arn) {
  auto d = cli(std::string("ecs describe-tasks --cluster ") + kCluster + " --tasks " + arn);
  if (d.is_null() || d["tasks"].empty()) return json::object();
  return d["tasks"][0];
}

json container_of(const json& task, const std::string& name) {
  for (const auto& c : task.value("containers", json::array()))
    if (c.value("name", "") == name) return c;
  return json::object();
}

bool g_setup_tried = false, g_setup_ok = false;

class ClusterRoot : public ::testing::Test {
 protected:
  // The shared setup runs from the first test's SetUp, not SetUpTestSuite:
  // a failure there is then a test failure, where a SetUpTestSuite failure
  // would make gtest (and ctest's skip pattern) report the tests as skipped.
  void SetUp() override {
    if (!g_setup_tried) {
      g_setup_tried = true;
      set_up_suite();
    }
    ASSERT_TRUE(g_setup_ok) << "the cluster suite's setup failed (see the first test's output)";
  }

  static void set_up_suite() {
    ASSERT_EQ(::geteuid(), 0u) << "cluster_root_tests must run as root";
    char t[] = "/tmp/ecsd-cluster-test-XXXXXX";
    ASSERT_NE(::mkdtemp(t), nullptr);
    g_tmp = t;
    g_data = g_tmp + "/data";
    g_reg_dir = g_tmp + "/registry";
    // Bridge networking of this run only: its own bridge, nftables table, veth
    // prefix and state (inherited by the agent, the cleanup daemon and
    // `ecsd network remove` in the teardown).
    std::string uniq = std::to_string(::getpid() % 100000);
    ::setenv("ECSD_BRIDGE_NAME", ("eclu" + uniq).c_str(), 1);
    ::setenv("ECSD_BRIDGE_SUBNET", ("10.3" + std::to_string(::getpid() % 10) + "." + std::to_string(::getpid() % 250) + ".0/24").c_str(), 1);
    ::setenv("ECSD_NETWORK_STATE_DIR", (g_tmp + "/netstate").c_str(), 1);
    ::setenv("ECSD_NETWORK_RUN_DIR", (g_tmp + "/netrun").c_str(), 1);
    ::setenv("ECSD_NFT_TABLE", ("ecsdc_" + uniq).c_str(), 1);
    ::setenv("ECSD_VETH_PREFIX", "vc", 1);
    std::string fx = std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry";
    auto reg = sh(fx + "/start-registry --dir " + g_reg_dir);
    ASSERT_EQ(reg.rc, 0) << reg.out;
    g_registry = reg.out.substr(reg.out.rfind("127.0.0.1"));
    while (!g_registry.empty() && g_registry.back() == '\n') g_registry.pop_back();
    auto push = sh("ECSD_BUSYBOX_LAYOUT=" + g_tmp + "/layout " + fx + "/push-busybox " + g_registry);
    ASSERT_EQ(push.rc, 0) << push.out;
    g_image = g_registry + "/ecsd-test/busybox:latest";
    // An "ECR" registry: Basic auth with the credentials moto's
    // GetAuthorizationToken yields for the account (AWS / <account>-auth-token).
    g_ecr_dir = g_tmp + "/ecr-registry";
    ASSERT_EQ(sh("mkdir -p " + g_ecr_dir + " && htpasswd -Bbn AWS 123456789012-auth-token > " + g_tmp + "/htpasswd").rc, 0);
    auto ecr = sh(fx + "/start-registry --dir " + g_ecr_dir + " --htpasswd " + g_tmp + "/htpasswd");
    ASSERT_EQ(ecr.rc, 0) << ecr.out;
    g_ecr_registry = ecr.out.substr(ecr.out.rfind("127.0.0.1"));
    while (!g_ecr_registry.empty() && g_ecr_registry.back() == '\n') g_ecr_registry.pop_back();
    auto epush = sh("PUSH_CREDS=AWS:123456789012-auth-token ECSD_BUSYBOX_LAYOUT=" + g_tmp + "/layout " + fx +
                    "/push-busybox " + g_ecr_registry);
    ASSERT_EQ(epush.rc, 0) << epush.out;
    // A private registry whose credentials are in Secrets Manager.
    g_priv_dir = g_tmp + "/private-registry";
    ASSERT_EQ(sh("mkdir -p " + g_priv_dir + " && htpasswd -Bbn ecsd s3cret-pass > " + g_tmp + "/htpasswd-private").rc, 0);
    auto priv = sh(fx + "/start-registry --dir " + g_priv_dir + " --htpasswd " + g_tmp + "/htpasswd-private");
    ASSERT_EQ(priv.rc, 0) << priv.out;
    g_priv_registry = priv.out.substr(priv.out.rfind("127.0.0.1"));
    while (!g_priv_registry.empty() && g_priv_registry.back() == '\n') g_priv_registry.pop_back();
    auto ppush = sh("PUSH_CREDS=ecsd:s3cret-pass ECSD_BUSYBOX_LAYOUT=" + g_tmp + "/layout " + fx + "/push-busybox " +
                    g_priv_registry);
    ASSERT_EQ(ppush.rc, 0) << ppush.out;

    g_cp = std::make_unique<ControlPlane>(std::vector<std::string>{"--heartbeat", "2"});
    ASSERT_TRUE(g_cp->ready) << "the control plane did not start (see its stderr above)";
    ASSERT_FALSE(cli(std::string("ecs create-cluster --cluster-name ") + kCluster).is_null()) << "aws ecs create-cluster failed";
    start_agent();
    eventually([] { return agent_connected() || g_agent < 0; }, std::chrono::seconds(120));  // stop early if it died
    ASSERT_TRUE(agent_connected()) << read_text(g_tmp + "/agent.log");
    g_setup_ok = true;
  }

  static void TearDownTestSuite() {
    if (g_tmp.empty()) return;
    stop_agent(SIGTERM);
    // Stop whatever still runs, then let a daemon with no cleanup wait remove
    // every stopped task's containers, rootfs and logs.
    if (::access(g_data.c_str(), F_OK) == 0) {
      // `ecsd ps` / `ecsd stop` would start a daemon of their own when none
      // answers, so start ours first and wait for its pid file.
      ::unlink((g_data + "/ecsd.pid").c_str());
      pid_t d = ::fork();
      if (d == 0) {
        ::setenv("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "0s", 1);
        ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "2s", 1);
        int fd = ::open((g_tmp + "/cleanup-daemon.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        ::dup2(fd, 2);
        std::string bin = std::string(ECSD_BIN_DIR) + "/ecsd";
        ::execl(bin.c_str(), "ecsd", "--data-dir", g_data.c_str(), "daemon", nullptr);
        ::_exit(127);
      }
      bool up = eventually([] { return ::access((g_data + "/ecsd.pid").c_str(), F_OK) == 0; }, std::chrono::seconds(30));
      if (up) {
        for (const auto& t : json::parse(sh(ecsd() + " ps --json").out, nullptr, false))
          if (t.is_object()) sh(ecsd() + " stop " + t.value("id", ""));
        eventually(
            [] {
              auto l = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false);
              return l.is_array() && l.empty();
            },
            std::chrono::seconds(60));
      }
      ::kill(d, SIGTERM);
      ::waitpid(d, nullptr, 0);
    }
    auto netrm = sh(ecsd() + " network remove");  // this run's bridge and nftables table
    if (netrm.rc != 0) std::fprintf(stderr, "ecsd network remove: %s\n", netrm.out.c_str());
    g_cp.reset();
    sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + g_reg_dir);
    if (!g_ecr_dir.empty()) sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + g_ecr_dir);
    if (!g_priv_dir.empty()) sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + g_priv_dir);
    sh("umount -R " + g_data + "/tasks/*/*/rootfs 2>/dev/null; rm -rf " + g_tmp);
  }

  void TearDown() override {
    if (HasFailure()) {
      std::string log = read_text(g_tmp + "/agent.log");
      std::fprintf(stderr, "---- agent log (last 4000 bytes) ----\n%s\n",
                   log.substr(log.size() > 4000 ? log.size() - 4000 : 0).c_str());
    }
  }
};

}  // namespace

TEST_F(ClusterRoot, InstanceAppearsWithItsResourcesAndAttributes) {
  auto list = cli(std::string("ecs list-container-instances --cluster ") + kCluster);
  ASSERT_EQ(list["containerInstanceArns"].size(), 1u);
  std::string arn = list["containerInstanceArns"][0];
  EXPECT_EQ(arn, agent_status()["containerInstanceArn"]);
  auto d = cli(std::string("ecs describe-container-instances --cluster ") + kCluster + " --container-instances " + arn);
  const auto& ci = d["containerInstances"][0];
  EXPECT_EQ(ci["ec2InstanceId"], g_cp->instance_id);
  EXPECT_EQ(ci["agentConnected"], true);
  std::map<std::string, json> res;
  for (const auto& r : ci["registeredResources"]) res[r["name"]] = r;
  EXPECT_EQ(res["CPU"]["integerValue"], 1024 * sysconf(_SC_NPROCESSORS_ONLN));
  std::string meminfo = read_text("/proc/meminfo");
  long kib = std::stol(meminfo.substr(meminfo.find("MemTotal:") + 9));
  EXPECT_EQ(res["MEMORY"]["integerValue"], kib / 1024);
  EXPECT_EQ(res["PORTS"]["stringSetValue"], json::parse(R"(["22","2375","2376","51678","51679"])"));
  std::map<std::string, std::string> attrs;
  for (const auto& a : ci["attributes"]) attrs[a["name"]] = a.value("value", "");
  EXPECT_EQ(attrs["suite"], "cluster");
  EXPECT_EQ(attrs["ecs.os-type"], "linux");
  EXPECT_TRUE(attrs.count("ecs.capability.container-ordering"));
  EXPECT_TRUE(attrs.count("com.amazonaws.ecs.capability.docker-remote-api.1.32"));
  auto st = g_cp->state();
  EXPECT_TRUE(st["sig_failures"].empty()) << st["sig_failures"];
  EXPECT_GE(st["imds"]["credentials"].get<int>(), 1);  // signed with the instance profile's keys
}

TEST_F(ClusterRoot, RunTaskRunsReportsAndStops) {
  int port = free_port();
  json web = container_def("web", "exec httpd -f -p " + std::to_string(port));
  web["portMappings"] = json::array({{{"containerPort", port}, {"hostPort", port}, {"protocol", "tcp"}}});
  json side = container_def("side", "sleep 1; exit 3", false);
  ASSERT_FALSE(register_taskdef("it-web", json::array({web, side})).empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-web");
  ASSERT_FALSE(run.is_null());
  std::string arn = run["tasks"][0]["taskArn"];

  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "RUNNING" && container_of(t, "side").value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  auto w = container_of(t, "web");
  EXPECT_EQ(w["lastStatus"], "RUNNING");
  ASSERT_EQ(w["networkBindings"].size(), 1u) << w.dump();
  EXPECT_EQ(w["networkBindings"][0]["hostPort"], port);
  EXPECT_EQ(w["networkBindings"][0]["containerPort"], port);
  EXPECT_FALSE(w.value("runtimeId", "").empty());
  EXPECT_EQ(container_of(t, "side")["exitCode"], 3);
  // The container really serves on the host port.
  auto curl = sh("for i in $(seq 1 20); do busybox wget -q -O /dev/null http://127.0.0.1:" + std::to_string(port) +
                 "/ 2>&1 | grep -q '404\\|Not Found' && echo served && break; sleep 0.2; done");
  EXPECT_NE(curl.out.find("served"), std::string::npos) << curl.out;

  ASSERT_FALSE(cli(std::string("ecs stop-task --cluster ") + kCluster + " --task " + arn).is_null());
  ASSERT_TRUE(eventually([&] { return describe_task(arn).value("lastStatus", "") == "STOPPED"; },
                         std::chrono::seconds(60)));
  t = describe_task(arn);
  EXPECT_EQ(container_of(t, "web")["lastStatus"], "STOPPED");
  EXPECT_TRUE(container_of(t, "web").contains("exitCode"));
  auto st = g_cp->state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  EXPECT_EQ(st["tasks"][arn]["reports"], json::parse(R"(["RUNNING","STOPPED"])"));
}

TEST_F(ClusterRoot, EssentialContainerFailureIsReportedWithItsReason) {
  json main = container_def("main", "exit 2");
  json helper = container_def("helper", "sleep 30", false);
  ASSERT_FALSE(register_taskdef("it-fail", json::array({main, helper})).empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-fail");
  std::string arn = run["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  EXPECT_EQ(t["stoppedReason"], "Essential container in task exited");
  EXPECT_EQ(container_of(t, "main")["exitCode"], 2);
  EXPECT_EQ(container_of(t, "helper")["lastStatus"], "STOPPED");
}

TEST_F(ClusterRoot, PullFailureIsReportedAsCannotPullContainerError) {
  json c = container_def("main", "true", true, g_registry + "/ecsd-test/does-not-exist:1");
  ASSERT_FALSE(register_taskdef("it-nopull", json::array({c})).empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-nopull");
  std::string arn = run["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  std::string reason = container_of(t, "main").value("reason", "");
  EXPECT_EQ(reason.rfind("CannotPullContainerError", 0), 0u) << t.dump(2);
}

TEST_F(ClusterRoot, ChurnWithDropsServerErrorsAndKill9LosesNothing) {
  json c = container_def("job", "sleep 3; exit ${CODE:-0}");
  ASSERT_FALSE(register_taskdef("it-churn", json::array({c})).empty());
  auto before = g_cp->state();
  uint64_t connections_before = before["acs"]["connections"].get<uint64_t>();
  g_cp->faults({{"acs_drop_every", 3}, {"submit_5xx_rate", 0.2}});

  std::map<std::string, int> expected;  // task arn -> exit code
  auto launch = [&](int batch) {
    int code = batch % 5;
    std::string overrides = "{\"containerOverrides\":[{\"name\":\"job\",\"environment\":[{\"name\":\"CODE\",\"value\":\"" +
                            std::to_string(code) + "\"}]}]}";
    auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-churn --count 10 --overrides '" +
                   overrides + "'");
    ASSERT_FALSE(run.is_null());
    ASSERT_EQ(run["tasks"].size(), 10u);
    for (const auto& t : run["tasks"]) expected[t["taskArn"]] = code;
  };
  for (int b = 0; b < 3; ++b) launch(b);
  // Mid-way: the agent dies without a chance to save anything, and comes back.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop_agent(SIGKILL);
  for (int b = 3; b < 5; ++b) launch(b);
  start_agent();
  ASSERT_EQ(expected.size(), 50u);

  auto all_stopped = [&] {
    auto st = g_cp->state();
    for (const auto& [arn, code] : expected)
      if (st["tasks"][arn].value("lastStatus", "") != "STOPPED") return false;
    return true;
  };
  ASSERT_TRUE(eventually(all_stopped, std::chrono::seconds(300)));
  g_cp->faults({{"acs_drop_every", 0}, {"submit_5xx_rate", 0.0}});

  auto st = g_cp->state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  EXPECT_TRUE(st["sig_failures"].empty()) << st["sig_failures"];
  EXPECT_GT(st["injected_faults"].get<int>(), 0);
  EXPECT_GE(st["acs"]["connections"].get<uint64_t>(), connections_before + 2);  // drops and the restart
  EXPECT_GE(st["acs"]["drops"].get<int>(), 1);
  for (const auto& [arn, code] : expected) {
    const auto& t = st["tasks"][arn];
    EXPECT_EQ(t["containers"]["job"]["exitCode"], code) << arn;
    // In order: RUNNING (if it was seen running) then STOPPED, once each.
    auto reports = t["reports"];
    ASSERT_FALSE(reports.empty()) << arn;
    EXPECT_EQ(reports.back(), "STOPPED") << arn;
    EXPECT_LE(reports.size(), 2u) << arn << " " << reports;
  }
  // moto agrees (through the AWS CLI).
  auto d = describe_task(expected.begin()->first);
  EXPECT_EQ(d["lastStatus"], "STOPPED");
  EXPECT_EQ(d["stoppedReason"], "Essential container in task exited");
}

TEST_F(ClusterRoot, PullsFromEcrWithTheTokenFromGetAuthorizationToken) {
  // The registry refuses anonymous pulls.
  auto anon = sh("busybox wget -q -O /dev/null http://" + g_ecr_registry + "/v2/ 2>&1; echo rc=$?");
  EXPECT_EQ(anon.out.find("rc=0"), std::string::npos) << anon.out;
  int before = g_cp->state()["ecr_token_requests"].get<int>();
  json c = container_def("main", "exit 0", true, g_ecr_registry + "/ecsd-test/busybox:latest");
  ASSERT_FALSE(register_taskdef("it-ecr", json::array({c})).empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-ecr");
  std::string arn = run["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  EXPECT_EQ(container_of(t, "main")["exitCode"], 0) << t.dump(2);
  EXPECT_FALSE(container_of(t, "main").contains("reason")) << t.dump(2);
  EXPECT_GT(g_cp->state()["ecr_token_requests"].get<int>(), before);
}

TEST_F(ClusterRoot, EcrTokenIsSignedWithTheTaskExecutionRole) {
  int before = g_cp->state()["ecr_token_signers"].size();
  json c = container_def("main", "exit 0", true, g_ecr_registry + "/ecsd-test/busybox:latest");
  ASSERT_FALSE(register_taskdef("it-ecr-role", json::array({c}), "host",
                                "--execution-role-arn arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
                   .empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-ecr-role");
  std::string arn = run["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  EXPECT_EQ(container_of(t, "main")["exitCode"], 0) << t.dump(2);
  auto signers = g_cp->state()["ecr_token_signers"];
  ASSERT_GT(signers.size(), static_cast<size_t>(before));
  EXPECT_EQ(signers.back().get<std::string>().rfind("ASIAEXEC", 0), 0u) << signers;
}

TEST_F(ClusterRoot, PrivateRegistryCredentialsFromSecretsManager) {
  auto secret = cli("secretsmanager create-secret --name ecsd-it-regcreds --secret-string "
                    "'{\"username\":\"ecsd\",\"password\":\"s3cret-pass\"}'");
  ASSERT_FALSE(secret.is_null());
  std::string secret_arn = secret["ARN"];
  const std::string role = "--execution-role-arn arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
  json c = container_def("main", "exit 0", true, g_priv_registry + "/ecsd-test/busybox:latest");
  c["repositoryCredentials"] = {{"credentialsParameter", secret_arn}};
  ASSERT_FALSE(register_taskdef("it-private", json::array({c}), "host", role).empty());
  json bad = container_def("main", "exit 0", true, g_priv_registry + "/ecsd-test/busybox:latest");
  bad["repositoryCredentials"] = {
      {"credentialsParameter", "arn:aws:secretsmanager:us-east-1:123456789012:secret:does-not-exist"}};
  ASSERT_FALSE(register_taskdef("it-private-bad", json::array({bad}), "host", role).empty());

  std::string ok_arn = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-private")["tasks"][0]["taskArn"];
  std::string bad_arn =
      cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-private-bad")["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(ok_arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  EXPECT_EQ(container_of(t, "main")["exitCode"], 0) << t.dump(2);
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(bad_arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(60)))
      << t.dump(2);
  EXPECT_EQ(t.value("stoppedReason", "").rfind("ResourceInitializationError: unable to pull secrets or registry auth", 0), 0u)
      << t.dump(2);
  EXPECT_NE(t.value("stoppedReason", "").find("does-not-exist"), std::string::npos);
  auto st = g_cp->state();
  EXPECT_TRUE(st["sig_failures"].empty()) << st["sig_failures"];
}

TEST_F(ClusterRoot, SigtermLeavesContainersRunningAndRestartReRegistersAndAdopts) {
  json c = container_def("long", "trap 'exit 0' TERM; while true; do sleep 0.2; done");
  ASSERT_FALSE(register_taskdef("it-long", json::array({c})).empty());
  std::string arn = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-long")["tasks"][0]["taskArn"];
  ASSERT_TRUE(eventually([&] { return describe_task(arn).value("lastStatus", "") == "RUNNING"; }, std::chrono::seconds(90)));
  std::string instance = agent_status()["containerInstanceArn"];
  stop_agent(SIGTERM);
  auto status = sh(std::string(ECSD_BIN_DIR) + "/ecsd --data-dir " + g_data + " status");
  EXPECT_NE(status.out.find("not running"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find(instance), std::string::npos) << status.out;
  // The container outlives the agent.
  auto ps = sh("pgrep -f \"trap 'exit 0' TERM\" | head -1");
  EXPECT_FALSE(ps.out.empty());
  start_agent();
  ASSERT_TRUE(eventually([] { return agent_connected(); }, std::chrono::seconds(120)));
  EXPECT_EQ(agent_status()["containerInstanceArn"], instance);  // re-registered with the saved ARN
  auto list = cli(std::string("ecs list-container-instances --cluster ") + kCluster);
  EXPECT_EQ(list["containerInstanceArns"].size(), 1u);
  ASSERT_FALSE(cli(std::string("ecs stop-task --cluster ") + kCluster + " --task " + arn).is_null());
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(60)))
      << t.dump(2);
  EXPECT_EQ(container_of(t, "long")["exitCode"], 0) << t.dump(2);  // its TERM trap ran
  auto st = g_cp->state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  EXPECT_EQ(st["tasks"][arn]["reports"], json::parse(R"(["RUNNING","STOPPED"])"));
}

TEST_F(ClusterRoot, BridgeModeReportsDynamicHostPortBindings) {
  json web = container_def("web", "exec httpd -f -p 8080");
  web["portMappings"] = json::array({{{"containerPort", 8080}, {"hostPort", 0}, {"protocol", "tcp"}}});
  ASSERT_FALSE(register_taskdef("it-bridge", json::array({web}), "bridge").empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition it-bridge");
  ASSERT_FALSE(run.is_null());
  std::string arn = run["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "RUNNING" || t.value("lastStatus", "") == "STOPPED";
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  ASSERT_EQ(t["lastStatus"], "RUNNING") << t.dump(2);
  auto w = container_of(t, "web");
  ASSERT_EQ(w["networkBindings"].size(), 1u) << w.dump(2);
  EXPECT_EQ(w["networkBindings"][0]["containerPort"], 8080);
  int host_port = w["networkBindings"][0]["hostPort"];
  EXPECT_GT(host_port, 0);
  EXPECT_NE(host_port, 8080);
  auto curl = sh("for i in $(seq 1 20); do busybox wget -q -O /dev/null http://127.0.0.1:" + std::to_string(host_port) +
                 "/ 2>&1 | grep -q '404\\|Not Found' && echo served && break; sleep 0.2; done");
  EXPECT_NE(curl.out.find("served"), std::string::npos) << curl.out;
  ASSERT_FALSE(cli(std::string("ecs stop-task --cluster ") + kCluster + " --task " + arn).is_null());
  ASSERT_TRUE(eventually([&] { return describe_task(arn).value("lastStatus", "") == "STOPPED"; },
                         std::chrono::seconds(60)));
}
