// Root integration tests of bridge network mode in the task engine: real task
// definitions (networkMode absent = bridge, as ECS defaults it on Linux) run
// by a real `ecsd daemon` with busybox httpd from the local registry fixture,
// reached through their host ports from the host's localhost. Every run uses
// its own bridge name, subnet, nftables table, veth prefix and state dirs,
// and removes the bridge and the table at the end.
#include <gtest/gtest.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "netns/network.h"

using nlohmann::json;

namespace {

std::string g_tmp, g_data, g_image, g_reg_dir;
ecsd::netns::NetworkConfig g_net;
pid_t g_daemon = 0;

struct CmdResult {
  int rc = -1;
  std::string out;
};

CmdResult sh(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string ecsd() { return std::string(ECSD_BIN_DIR) + "/ecsd --data-dir " + g_data; }

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

void start_daemon(const std::string& cleanup_wait = "1h") {
  pid_t p = ::fork();
  if (p == 0) {
    ::setenv("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", cleanup_wait.c_str(), 1);
    ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "5s", 1);
    ::setenv("ECSD_BRIDGE_NAME", g_net.bridge_name.c_str(), 1);
    ::setenv("ECSD_BRIDGE_SUBNET", g_net.subnet.c_str(), 1);
    ::setenv("ECSD_NETWORK_STATE_DIR", g_net.state_dir.c_str(), 1);
    ::setenv("ECSD_NETWORK_RUN_DIR", g_net.run_dir.c_str(), 1);
    ::setenv("ECSD_NFT_TABLE", g_net.nft_table.c_str(), 1);
    ::setenv("ECSD_VETH_PREFIX", g_net.veth_prefix.c_str(), 1);
    ::setenv("ECS_DYNAMIC_HOST_PORT_RANGE", "41000-41999", 1);
    std::string log = g_data + "/daemon-test.log";
    FILE* f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    std::string bin = std::string(ECSD_BIN_DIR) + "/ecsd";
    ::execl(bin.c_str(), "ecsd", "--data-dir", g_data.c_str(), "daemon", nullptr);
    ::_exit(127);
  }
  g_daemon = p;
  for (int i = 0; i < 200; ++i) {
    if (exists(g_data + "/ecsd.pid") && sh(ecsd() + " ps").rc == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "daemon did not start: " << read_text(g_data + "/daemon-test.log");
}

void stop_daemon(int sig) {
  if (g_daemon <= 0) return;
  ::kill(g_daemon, sig);
  int st;
  ::waitpid(g_daemon, &st, 0);
  g_daemon = 0;
  ::unlink((g_data + "/ecsd.pid").c_str());
}

std::string write_taskdef(const json& j) {
  static int n = 0;
  std::string p = g_tmp + "/taskdef-" + std::to_string(++n) + ".json";
  std::ofstream(p) << j.dump(2);
  return p;
}

std::string submit(const json& td) {
  auto r = sh(ecsd() + " run --detach " + write_taskdef(td));
  EXPECT_EQ(r.rc, 0) << r.out;
  std::string id = r.out;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
  return id;
}

json inspect(const std::string& id) {
  auto r = sh(ecsd() + " inspect " + id);
  if (r.rc != 0) return json();
  return json::parse(r.out, nullptr, false);
}

json wait_task(const std::string& id, const std::function<bool(const json&)>& pred, int timeout_s = 60) {
  json t;
  for (int i = 0; i < timeout_s * 10; ++i) {
    t = inspect(id);
    if (t.is_object() && pred(t)) return t;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "task " << id << " did not reach the expected state; last: " << t.dump(2);
  return t;
}
json wait_status(const std::string& id, const std::string& status) {
  return wait_task(id, [&](const json& t) { return t.value("lastStatus", "") == status; });
}

json bindings_of(const json& t, const std::string& name) {
  if (t.is_object() && t.contains("containers"))
    for (const auto& c : t["containers"])
      if (c.value("name", "") == name && c.contains("networkBindings")) return c["networkBindings"];
  return json::array();
}

// A task definition with one busybox httpd container serving `page` on 8080.
json web_task(const std::string& family, const std::string& page, json mapping) {
  json c = {{"name", "web"},
            {"image", g_image},
            {"essential", true},
            {"memory", 64},
            {"command", {"sh", "-c",
                         "echo " + page + " > /tmp/index.html; cat /etc/hosts; exec httpd -f -p 8080 -h /tmp"}},
            {"portMappings", json::array({mapping})}};
  return {{"family", family}, {"containerDefinitions", json::array({c})}};  // networkMode absent: bridge
}

// GET http://127.0.0.1:port/index.html from the host, retried until it answers.
std::string fetch(int port, const std::string& want) {
  std::string body;
  for (int i = 0; i < 100; ++i) {
    body = sh("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port) + "/index.html").out;
    if (body == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return body;
}

// Host veths of ours (prefix + 8 hex digits).
std::string our_veths() {
  return sh("ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^" + g_net.veth_prefix + "' || true").out;
}
std::string nft_table() { return sh("nft list table ip " + g_net.nft_table).out; }
// `ecsd network ...` with this run's settings.
std::string ecsd_network(const std::string& op) {
  return sh("ECSD_BRIDGE_NAME=" + g_net.bridge_name + " ECSD_NFT_TABLE=" + g_net.nft_table +
            " ECSD_NETWORK_STATE_DIR=" + g_net.state_dir + " ECSD_NETWORK_RUN_DIR=" + g_net.run_dir +
            " ECSD_VETH_PREFIX=" + g_net.veth_prefix + " " + ecsd() + " network " + op)
      .out;
}

std::vector<json> events(const std::string& id) {
  std::string req = json({{"op", "events"}, {"after", 0}, {"task", id}}).dump();
  auto r = sh("printf '%s\\n' '" + req + "' | timeout 5 python3 -c \"import socket,sys; s=socket.socket(socket.AF_UNIX);"
              " s.connect('" + g_data + "/ecsd.sock'); s.sendall(sys.stdin.buffer.read()); b=b''\n"
              "while not b.endswith(b'\\\\n'): b+=s.recv(65536)\nprint(b.decode())\"");
  auto j = json::parse(r.out, nullptr, false);
  std::vector<json> out;
  if (j.is_object() && j.contains("events"))
    for (const auto& e : j["events"]) out.push_back(e);
  return out;
}

bool g_setup_tried = false, g_setup_ok = false;

class EngineBridge : public ::testing::Test {
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
    ASSERT_EQ(::geteuid(), 0u) << "engine_bridge_root_tests must run as root";
    char t[] = "/tmp/ecsd-bridge-test-XXXXXX";
    ASSERT_NE(::mkdtemp(t), nullptr);
    g_tmp = t;
    g_data = g_tmp + "/data";
    g_reg_dir = g_tmp + "/registry";
    std::string fx = std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry";
    auto reg = sh(fx + "/start-registry --dir " + g_reg_dir);
    ASSERT_EQ(reg.rc, 0) << reg.out;
    std::string addr = reg.out.substr(reg.out.rfind("127.0.0.1"));
    while (!addr.empty() && addr.back() == '\n') addr.pop_back();
    auto push = sh("ECSD_BUSYBOX_LAYOUT=" + g_tmp + "/layout " + fx + "/push-busybox " + addr);
    ASSERT_EQ(push.rc, 0) << push.out;
    g_image = addr + "/ecsd-test/busybox:latest";
    int pid = ::getpid();
    std::string uniq = std::to_string(pid % 100000);
    g_net.bridge_name = "ebb" + uniq;
    // 10.100-199.x.0/24: apart from the engine suite's 10.2xx and netns's ranges.
    g_net.subnet = "10." + std::to_string(100 + pid % 100) + "." + std::to_string((pid / 100) % 250) + ".0/24";
    g_net.state_dir = g_tmp + "/netstate";
    g_net.run_dir = g_tmp + "/netrun";
    g_net.nft_table = "ecsdb_" + uniq;
    g_net.veth_prefix = "vb" + std::to_string(pid % 1000);
    start_daemon();
    g_setup_ok = !::testing::Test::HasFatalFailure();
  }
  static void TearDownTestSuite() {
    if (g_data.empty()) return;
    if (g_daemon) {
      for (const auto& t : json::parse(sh(ecsd() + " ps --json").out, nullptr, false))
        sh(ecsd() + " stop " + t.value("id", ""));
      for (int i = 0; i < 200; ++i) {
        bool all_stopped = true;
        for (const auto& t : json::parse(sh(ecsd() + " ps --json").out, nullptr, false))
          all_stopped = all_stopped && t.value("lastStatus", "") == "STOPPED";
        if (all_stopped) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      stop_daemon(SIGTERM);
      // A daemon with no cleanup wait removes every stopped task's state,
      // mounts and cgroups (ecsd/<task>) before the data dir goes.
      start_daemon("0s");
      for (int i = 0; i < 200; ++i) {
        auto l = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false);
        if (l.is_array() && l.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      stop_daemon(SIGTERM);
    }
    // The bridge and the nftables table the daemon made for this run.
    std::string removed = ecsd_network("remove");
    EXPECT_NE(removed.find("removed bridge " + g_net.bridge_name), std::string::npos) << removed;
    if (exists(g_net.state_dir))  // in case the command failed
      if (auto n = ecsd::netns::Network::open(g_net)) (void)(*n)->remove_all();
    EXPECT_NE(sh("ip link show " + g_net.bridge_name).rc, 0) << "bridge left";
    EXPECT_NE(sh("nft list table ip " + g_net.nft_table).rc, 0) << "nftables table left";
    sh("ip link del " + g_net.veth_prefix + "deadbeef 2>/dev/null");
    sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + g_reg_dir);
    sh("umount -R " + g_data + "/tasks/*/*/rootfs 2>/dev/null; umount " + g_net.run_dir +
       "/netns/* 2>/dev/null; rm -rf " + g_tmp);
  }
};

TEST_F(EngineBridge, StaticPortServesFromLocalhostAndStopLeavesNothing) {
  std::string id = submit(web_task("bridge-static", "static-page", {{"containerPort", 8080}, {"hostPort", 41501}}));
  auto t = wait_status(id, "RUNNING");
  auto b = bindings_of(t, "web");
  ASSERT_EQ(b.size(), 1u) << t.dump(2);
  EXPECT_EQ(b[0].value("containerPort", 0), 8080);
  EXPECT_EQ(b[0].value("hostPort", 0), 41501);
  EXPECT_EQ(b[0].value("protocol", ""), "tcp");
  EXPECT_EQ(b[0].value("bindIP", ""), "0.0.0.0");
  EXPECT_EQ(fetch(41501, "static-page\n"), "static-page\n");

  // The container's /etc/hosts names the task's address on the bridge subnet.
  std::string net_prefix = g_net.subnet.substr(0, g_net.subnet.rfind('.') + 1);
  std::string hosts = sh(ecsd() + " logs " + id + " web").out;
  EXPECT_NE(hosts.find(net_prefix), std::string::npos) << hosts;

  // The container event that reports RUNNING carries the bindings (what the
  // cluster reporter sends as networkBindings).
  bool reported = false;
  for (const auto& e : events(id))
    if (e.value("container", "") == "web" && e.value("status", "") == "RUNNING" && e.contains("networkBindings"))
      reported = reported || (e["networkBindings"].size() == 1 && e["networkBindings"][0].value("hostPort", 0) == 41501);
  EXPECT_TRUE(reported) << "no RUNNING event with the binding";

  // Before stop: namespace, veth and DNAT rule exist (so the checks below can fail).
  EXPECT_TRUE(exists(g_net.run_dir + "/netns/" + id));
  EXPECT_NE(our_veths(), "");
  EXPECT_NE(nft_table().find("41501"), std::string::npos) << nft_table();
  std::string shown = ecsd_network("show");  // while the daemon holds the state lock
  EXPECT_NE(shown.find(id + "  bridge  " + net_prefix), std::string::npos) << shown;
  EXPECT_NE(shown.find("0.0.0.0:41501->8080/tcp"), std::string::npos) << shown;

  ASSERT_EQ(sh(ecsd() + " stop " + id).rc, 0);
  wait_status(id, "STOPPED");
  EXPECT_FALSE(exists(g_net.run_dir + "/netns/" + id)) << "network namespace left after stop";
  EXPECT_EQ(our_veths(), "") << "veth left after stop";
  EXPECT_EQ(nft_table().find("41501"), std::string::npos) << "port rule left after stop:\n" << nft_table();
  EXPECT_NE(sh("curl -s --max-time 2 http://127.0.0.1:41501/index.html").rc, 0) << "port still answers after stop";
}

TEST_F(EngineBridge, DynamicHostPortReportedInInspect) {
  std::string id = submit(web_task("bridge-dynamic", "dynamic-page", {{"containerPort", 8080}}));
  auto t = wait_status(id, "RUNNING");
  auto b = bindings_of(t, "web");
  ASSERT_EQ(b.size(), 1u) << t.dump(2);
  int port = b[0].value("hostPort", 0);
  EXPECT_GE(port, 41000);  // ECS_DYNAMIC_HOST_PORT_RANGE of the daemon
  EXPECT_LE(port, 41999);
  EXPECT_EQ(fetch(port, "dynamic-page\n"), "dynamic-page\n");
  sh(ecsd() + " stop " + id);
  wait_status(id, "STOPPED");
}

TEST_F(EngineBridge, ContainerPortRangeGetsOneBindingPerPort) {
  json td = web_task("bridge-range", "range-page", {{"containerPort", 8080}});
  td["containerDefinitions"][0]["portMappings"].push_back({{"containerPortRange", "9000-9002"}, {"protocol", "udp"}});
  std::string id = submit(td);
  auto t = wait_status(id, "RUNNING");
  auto b = bindings_of(t, "web");
  ASSERT_EQ(b.size(), 4u) << t.dump(2);
  std::set<int> udp_container, udp_host;
  for (const auto& x : b)
    if (x.value("protocol", "") == "udp") {
      udp_container.insert(x.value("containerPort", 0));
      udp_host.insert(x.value("hostPort", 0));
    }
  EXPECT_EQ(udp_container, (std::set<int>{9000, 9001, 9002})) << b.dump();
  EXPECT_EQ(udp_host.size(), 3u) << b.dump();
  for (int p : udp_host) EXPECT_TRUE(p >= 41000 && p <= 41999) << p;
  sh(ecsd() + " stop " + id);
  wait_status(id, "STOPPED");
}

TEST_F(EngineBridge, StaticPortHeldOutsideEcsdFailsTheTaskWithTheReason) {
  // A listener of the test itself on the host port.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(41503);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "port 41503 busy on this host";
  ASSERT_EQ(::listen(fd, 1), 0);
  std::string id = submit(web_task("bridge-busy", "busy-page", {{"containerPort", 8080}, {"hostPort", 41503}}));
  auto t = wait_status(id, "STOPPED");
  ::close(fd);
  std::string reason = t.value("stoppedReason", "");
  EXPECT_EQ(reason.rfind("CannotStartContainerError: ", 0), 0u) << t.dump(2);
  EXPECT_NE(reason.find("41503"), std::string::npos) << t.dump(2);
  EXPECT_FALSE(exists(g_net.run_dir + "/netns/" + id));
  EXPECT_EQ(our_veths(), "");
}

TEST_F(EngineBridge, SecondTaskOnTheSameStaticPortFailsFirstKeepsServing) {
  std::string first = submit(web_task("bridge-first", "first-page", {{"containerPort", 8080}, {"hostPort", 41502}}));
  wait_status(first, "RUNNING");
  ASSERT_EQ(fetch(41502, "first-page\n"), "first-page\n");

  std::string second = submit(web_task("bridge-second", "second-page", {{"containerPort", 8080}, {"hostPort", 41502}}));
  auto t = wait_status(second, "STOPPED");
  std::string reason = t.value("stoppedReason", "");
  EXPECT_NE(reason.find("41502"), std::string::npos) << t.dump(2);
  EXPECT_NE(reason.find("already in use by task " + first), std::string::npos) << t.dump(2);
  EXPECT_FALSE(exists(g_net.run_dir + "/netns/" + second)) << "the failed task got a namespace";

  EXPECT_EQ(inspect(first).value("lastStatus", ""), "RUNNING");
  EXPECT_EQ(fetch(41502, "first-page\n"), "first-page\n");
  sh(ecsd() + " stop " + first);
  wait_status(first, "STOPPED");
}

TEST_F(EngineBridge, KillNineAndRestartKeepsServingAndRemovesOrphans) {
  std::string id = submit(web_task("bridge-restart", "survivor", {{"containerPort", 8080}}));
  auto t = wait_status(id, "RUNNING");
  auto before = bindings_of(t, "web");
  ASSERT_EQ(before.size(), 1u) << t.dump(2);
  int port = before[0].value("hostPort", 0);
  ASSERT_EQ(fetch(port, "survivor\n"), "survivor\n");

  stop_daemon(SIGKILL);
  // Orphans of a crash: a veth with our prefix and a named namespace no task owns.
  std::string orphan_veth = g_net.veth_prefix + "deadbeef";
  ASSERT_EQ(sh("ip link add " + orphan_veth + " type veth peer name " + g_net.veth_prefix + "deadbee0").rc, 0);
  std::string orphan_ns = g_net.run_dir + "/netns/orphan-task";
  ASSERT_EQ(sh("touch " + orphan_ns + " && unshare --net=" + orphan_ns + " true").rc, 0);
  ASSERT_TRUE(exists(orphan_ns));

  start_daemon();
  t = wait_status(id, "RUNNING");
  EXPECT_EQ(bindings_of(t, "web"), before) << t.dump(2);
  EXPECT_EQ(fetch(port, "survivor\n"), "survivor\n");
  EXPECT_TRUE(exists(g_net.run_dir + "/netns/" + id));
  EXPECT_FALSE(exists(orphan_ns)) << "orphan namespace kept after restart";
  EXPECT_EQ(sh("ip link show " + orphan_veth).rc, 1) << "orphan veth kept after restart";

  // Teardown still works for a task recovered after the restart.
  sh(ecsd() + " stop " + id);
  wait_status(id, "STOPPED");
  EXPECT_FALSE(exists(g_net.run_dir + "/netns/" + id));
  EXPECT_EQ(our_veths(), "");
}

}  // namespace
