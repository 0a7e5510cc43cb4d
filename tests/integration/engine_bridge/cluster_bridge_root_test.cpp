// Bridge mode through the cluster path, as root: `ecsd agent` joined to the
// test control plane (tests/fixtures/controlplane), a task definition
// registered with network mode bridge and a port mapping without hostPort,
// placed with `aws ecs run-task`: the dynamic host port is reported to ECS as
// the container's networkBindings (describe-tasks) and serves from the host's
// localhost. Own bridge, subnet, nftables table and state dirs; removed at the end.
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

#include "netns/network.h"
#include "tests/unit/ecs/control_plane.h"

using nlohmann::json;
using ecsd::testing::ControlPlane;

namespace {

std::string g_tmp, g_data, g_reg_dir, g_image, g_registry;
ecsd::netns::NetworkConfig g_net;
pid_t g_agent = -1;
std::unique_ptr<ControlPlane> g_cp;
const char* kCluster = "ecsd-bridge-it";

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
    ::setenv("ECS_CLUSTER", kCluster, 1);
    ::setenv("ECS_DATADIR", g_data.c_str(), 1);
    ::setenv("ECSD_CONFIG_FILE", "/nonexistent/ecs.config", 1);
    ::setenv("ECS_LOGLEVEL", "debug", 1);
    ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "2s", 1);
        ::setenv("ECSD_ACS_HEARTBEAT_TIMEOUT", "10s", 1);
    ::setenv("ECSD_BRIDGE_NAME", g_net.bridge_name.c_str(), 1);
    ::setenv("ECSD_BRIDGE_SUBNET", g_net.subnet.c_str(), 1);
    ::setenv("ECSD_NETWORK_STATE_DIR", g_net.state_dir.c_str(), 1);
    ::setenv("ECSD_NETWORK_RUN_DIR", g_net.run_dir.c_str(), 1);
    ::setenv("ECSD_NFT_TABLE", g_net.nft_table.c_str(), 1);
    ::setenv("ECSD_VETH_PREFIX", g_net.veth_prefix.c_str(), 1);
    ::setenv("ECS_DYNAMIC_HOST_PORT_RANGE", "42000-42999", 1);
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

class ClusterBridge : public ::testing::Test {
 protected:
  // The shared setup runs from the first test's SetUp, not SetUpTestSuite: a
  // failure there is then a test failure, where a SetUpTestSuite failure is
  // reported by gtest (and ctest's skip pattern) as skipped tests.
  void SetUp() override {
    if (!g_setup_tried) {
      g_setup_tried = true;
      set_up_suite();
    }
    ASSERT_TRUE(g_setup_ok) << "the suite's setup failed (see the first test's output)";
  }

  static void set_up_suite() {
    ASSERT_EQ(::geteuid(), 0u) << "cluster_bridge_root_tests must run as root";
    char t[] = "/tmp/ecsd-cluster-bridge-XXXXXX";
    ASSERT_NE(::mkdtemp(t), nullptr);
    g_tmp = t;
    g_data = g_tmp + "/data";
    g_reg_dir = g_tmp + "/registry";
    int pid = ::getpid();
    std::string uniq = std::to_string(pid % 100000);
    g_net.bridge_name = "ebc" + uniq;
    g_net.subnet = "10." + std::to_string(100 + pid % 100) + "." + std::to_string(250 + pid % 5) + ".0/24";
    g_net.state_dir = g_tmp + "/netstate";
    g_net.run_dir = g_tmp + "/netrun";
    g_net.nft_table = "ecsdc_" + uniq;
    g_net.veth_prefix = "vc" + std::to_string(pid % 1000);
    std::string fx = std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry";
    auto reg = sh(fx + "/start-registry --dir " + g_reg_dir);
    ASSERT_EQ(reg.rc, 0) << reg.out;
    g_registry = reg.out.substr(reg.out.rfind("127.0.0.1"));
    while (!g_registry.empty() && g_registry.back() == '\n') g_registry.pop_back();
    auto push = sh("ECSD_BUSYBOX_LAYOUT=" + g_tmp + "/layout " + fx + "/push-busybox " + g_registry);
    ASSERT_EQ(push.rc, 0) << push.out;
    g_image = g_registry + "/ecsd-test/busybox:latest";
    g_cp = std::make_unique<ControlPlane>(std::vector<std::string>{"--heartbeat", "2"});
    ASSERT_TRUE(g_cp->ready) << "the control plane did not start (see its stderr above)";
    ASSERT_FALSE(cli(std::string("ecs create-cluster --cluster-name ") + kCluster).is_null());
    start_agent();
    eventually([] { return agent_connected() || g_agent < 0; }, std::chrono::seconds(120));
    ASSERT_TRUE(agent_connected()) << read_text(g_tmp + "/agent.log");
    g_setup_ok = true;
  }

  static void TearDownTestSuite() {
    if (g_tmp.empty()) return;
    stop_agent(SIGTERM);
    if (::access(g_data.c_str(), F_OK) == 0) {
      pid_t d = ::fork();
      if (d == 0) {
        ::setenv("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "0s", 1);
        ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "2s", 1);
        ::setenv("ECSD_BRIDGE_NAME", g_net.bridge_name.c_str(), 1);
        ::setenv("ECSD_NETWORK_STATE_DIR", g_net.state_dir.c_str(), 1);
        ::setenv("ECSD_NETWORK_RUN_DIR", g_net.run_dir.c_str(), 1);
        ::setenv("ECSD_NFT_TABLE", g_net.nft_table.c_str(), 1);
        ::setenv("ECSD_VETH_PREFIX", g_net.veth_prefix.c_str(), 1);
        FILE* f = std::freopen((g_tmp + "/cleanup-daemon.log").c_str(), "a", stderr);
        (void)f;
        std::string bin = std::string(ECSD_BIN_DIR) + "/ecsd";
        ::execl(bin.c_str(), "ecsd", "--data-dir", g_data.c_str(), "daemon", nullptr);
        ::_exit(127);
      }
      eventually([] { return sh(ecsd() + " ps").rc == 0; }, std::chrono::seconds(20));
      for (const auto& t : json::parse(sh(ecsd() + " ps --json").out, nullptr, false))
        if (t.is_object()) sh(ecsd() + " stop " + t.value("id", ""));
      eventually(
          [] {
            auto l = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false);
            return l.is_array() && l.empty();
          },
          std::chrono::seconds(60));
      ::kill(d, SIGTERM);
      ::waitpid(d, nullptr, 0);
    }
    if (::access(g_net.state_dir.c_str(), F_OK) == 0)
      if (auto n = ecsd::netns::Network::open(g_net)) (void)(*n)->remove_all();
    g_cp.reset();
    sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + g_reg_dir);
    sh("umount -R " + g_data + "/tasks/*/*/rootfs 2>/dev/null; umount " + g_net.run_dir +
       "/netns/* 2>/dev/null; rm -rf " + g_tmp);
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

TEST_F(ClusterBridge, DynamicHostPortIsReportedAsNetworkBindingsAndServes) {
  json web = container_def("web", "echo cluster-bridge > /tmp/index.html; exec httpd -f -p 8080 -h /tmp");
  web["portMappings"] = json::array({{{"containerPort", 8080}, {"protocol", "tcp"}}});
  ASSERT_FALSE(register_taskdef("itb-web", json::array({web}), "bridge").empty());
  auto run = cli(std::string("ecs run-task --cluster ") + kCluster + " --task-definition itb-web");
  ASSERT_FALSE(run.is_null());
  std::string arn = run["tasks"][0]["taskArn"];
  json t;
  ASSERT_TRUE(eventually(
      [&] {
        t = describe_task(arn);
        return t.value("lastStatus", "") == "RUNNING" && !container_of(t, "web").value("networkBindings", json::array()).empty();
      },
      std::chrono::seconds(90)))
      << t.dump(2);
  auto b = container_of(t, "web")["networkBindings"];
  ASSERT_EQ(b.size(), 1u) << b.dump();
  EXPECT_EQ(b[0]["containerPort"], 8080);
  int port = b[0].value("hostPort", 0);
  EXPECT_GE(port, 42000) << b.dump();
  EXPECT_LE(port, 42999) << b.dump();
  EXPECT_EQ(b[0].value("protocol", ""), "tcp");
  auto body = sh("for i in $(seq 1 50); do curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port) +
                 "/index.html && break; sleep 0.2; done");
  EXPECT_NE(body.out.find("cluster-bridge"), std::string::npos) << body.out;

  ASSERT_FALSE(cli(std::string("ecs stop-task --cluster ") + kCluster + " --task " + arn).is_null());
  ASSERT_TRUE(eventually([&] { return describe_task(arn).value("lastStatus", "") == "STOPPED"; },
                         std::chrono::seconds(60)));
  auto st = g_cp->state();
  EXPECT_TRUE(st["violations"].empty()) << st["violations"];
  // The task's namespace is gone once it stopped.
  EXPECT_TRUE(eventually([&] { return sh("ls " + g_net.run_dir + "/netns | grep -c . || true").out == "0\n"; },
                         std::chrono::seconds(10)))
      << sh("ls " + g_net.run_dir + "/netns").out;
}
