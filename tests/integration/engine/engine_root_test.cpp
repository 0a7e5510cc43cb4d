// Root integration tests of the task engine: real task definitions run by a
// real `ecsd daemon` (started by the suite on its own data dir) with images
// from a local docker-registry (tests/fixtures/registry). Checked from the
// containers' output and from the host.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "cgroups/cgroup.h"
#include "netns/network.h"
#include "runtime/capabilities.h"

using nlohmann::json;

namespace {

std::string g_tmp, g_data, g_image, g_reg_dir;
ecsd::netns::NetworkConfig g_net;  // unique bridge, table and dirs for this run
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

void start_daemon(const std::string& cleanup_wait = "1h") {
  pid_t p = ::fork();
  if (p == 0) {
    ::setenv("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", cleanup_wait.c_str(), 1);
    ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "10s", 1);
    ::setenv("ECSD_BRIDGE_NAME", g_net.bridge_name.c_str(), 1);
    ::setenv("ECSD_BRIDGE_SUBNET", g_net.subnet.c_str(), 1);
    ::setenv("ECSD_NETWORK_STATE_DIR", g_net.state_dir.c_str(), 1);
    ::setenv("ECSD_NETWORK_RUN_DIR", g_net.run_dir.c_str(), 1);
    ::setenv("ECSD_NFT_TABLE", g_net.nft_table.c_str(), 1);
    ::setenv("ECSD_VETH_PREFIX", g_net.veth_prefix.c_str(), 1);
    std::string log = g_data + "/daemon-test.log";
    FILE* f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    std::string bin = std::string(ECSD_BIN_DIR) + "/ecsd";
    ::execl(bin.c_str(), "ecsd", "--data-dir", g_data.c_str(), "daemon", nullptr);
    ::_exit(127);
  }
  g_daemon = p;
  for (int i = 0; i < 200; ++i) {
    struct stat st {};
    if (::stat((g_data + "/ecsd.pid").c_str(), &st) == 0 && sh(ecsd() + " ps").rc == 0) return;
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

// Submits with `ecsd run --detach`; returns the task id.
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

json wait_stopped(const std::string& id, int timeout_s = 60) {
  return wait_task(id, [](const json& t) { return t.value("lastStatus", "") == "STOPPED"; }, timeout_s);
}
json wait_running(const std::string& id, int timeout_s = 60) {
  return wait_task(id, [](const json& t) { return t.value("lastStatus", "") == "RUNNING"; }, timeout_s);
}

const json& container(const json& t, const std::string& name) {
  for (const auto& c : t["containers"])
    if (c["name"] == name) return c;
  static json none;
  return none;
}

std::string logs(const std::string& id, const std::string& name) {
  return sh(ecsd() + " logs " + id + " " + name).out;
}

json cdef(const std::string& name, const std::string& script) {
  return {{"name", name}, {"image", g_image}, {"essential", true}, {"memory", 64},
          {"command", {"sh", "-c", script}}};
}

json taskdef(const std::string& family, json containers, const std::string& mode = "none") {
  return {{"family", family}, {"networkMode", mode}, {"containerDefinitions", containers}};
}

std::vector<json> events(const std::string& id) {
  // Via the socket: {"op":"events","after":0,"task":id}
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

class EngineRoot : public ::testing::Test {
 protected:
  // The shared setup runs from the first test's SetUp, not SetUpTestSuite: a
  // failure there is a test failure, where a SetUpTestSuite failure is shown
  // by gtest as SKIPPED and counted by ctest as skipped, not failed.
  void SetUp() override {
    static bool tried = false, ok = false;
    if (!tried) {
      tried = true;
      shared_setup();
      ok = !HasFatalFailure();
    }
    ASSERT_TRUE(ok) << "the shared setup of engine_root_tests failed (see the first test's output)";
  }
  static void shared_setup() {
    ASSERT_EQ(::geteuid(), 0u) << "engine_root_tests must run as root";
    char t[] = "/tmp/ecsd-engine-test-XXXXXX";
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
    std::string uniq = std::to_string(::getpid() % 100000);
    g_net.bridge_name = "ebre" + uniq;
    g_net.subnet = "10.2" + std::to_string(::getpid() % 50) + "." + std::to_string(::getpid() % 250) + ".0/24";
    g_net.state_dir = g_tmp + "/netstate";
    g_net.run_dir = g_tmp + "/netrun";
    g_net.nft_table = "ecsde_" + uniq;
    g_net.veth_prefix = "ve";
    start_daemon();
  }
  static void TearDownTestSuite() {
    if (g_data.empty()) return;
    if (g_daemon) {
      for (const auto& t : json::parse(sh(ecsd() + " ps --json").out, nullptr, false))
        sh(ecsd() + " stop " + t.value("id", ""));
      stop_daemon(SIGTERM);
    }
    // A daemon with no cleanup wait removes every stopped task's state.
    start_daemon("0s");
    for (int i = 0; i < 100; ++i) {
      auto l = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false);
      if (l.is_array() && l.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stop_daemon(SIGTERM);
    // The bridge and nftables table the daemon created for bridge tasks.
    if (::access(g_net.state_dir.c_str(), F_OK) == 0)
      if (auto n = ecsd::netns::Network::open(g_net)) (void)(*n)->remove_all();
    sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + g_reg_dir);
    sh("umount -R " + g_data + "/tasks/*/*/rootfs 2>/dev/null; rm -rf " + g_tmp);
  }
};

TEST_F(EngineRoot, ForegroundRunStreamsOutputAndExitsWithEssentialCode) {
  auto td = taskdef("fg", json::array({cdef("main", "echo out-line; echo err-line >&2; exit 7")}));
  auto r = sh(ecsd() + " run --no-color " + write_taskdef(td));
  EXPECT_EQ(r.rc, 7) << r.out;
  EXPECT_NE(r.out.find("main | out-line"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("main | err-line"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("main RUNNING"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("task STOPPED"), std::string::npos) << r.out;
}

TEST_F(EngineRoot, DescribeTaskDefinitionShapeFromStdin) {
  json td = {{"taskDefinition", taskdef("described", json::array({cdef("c", "exit 0")}))}, {"tags", json::array()}};
  td["taskDefinition"]["revision"] = 4;
  td["taskDefinition"]["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/described:4";
  td["taskDefinition"]["status"] = "ACTIVE";
  auto r = sh(ecsd() + " run --no-color - < " + write_taskdef(td));
  EXPECT_EQ(r.rc, 0) << r.out;
}

TEST_F(EngineRoot, CgroupLimitsOfContainerAndTask) {
  json c = cdef("lim", "sleep 300");
  c["memory"] = 96;
  c["memoryReservation"] = 48;
  c["cpu"] = 1;  // below the floor of 2 shares
  json c2 = cdef("big", "sleep 300");
  c2["cpu"] = 512;
  c2["memory"] = 32;
  json td = taskdef("limits", json::array({c, c2}));
  td["cpu"] = "1024";
  td["memory"] = "512";
  std::string id = submit(td);
  wait_running(id);
  auto h = ecsd::cgroups::Hierarchy::detect();
  ASSERT_TRUE(h);
  auto cg = ecsd::cgroups::Cgroup::open(*h, "ecsd/" + id + "/lim");
  ASSERT_TRUE(cg) << cg.error().message;
  auto tcg = ecsd::cgroups::Cgroup::open(*h, "ecsd/" + id);
  ASSERT_TRUE(tcg);
  auto big = ecsd::cgroups::Cgroup::open(*h, "ecsd/" + id + "/big");
  ASSERT_TRUE(big);
  if (h->layout() == ecsd::cgroups::Layout::kV2) {
    std::string d = cg->dir_for("memory");
    EXPECT_EQ(read_text(d + "/memory.max"), std::to_string(96 << 20) + "\n");
    EXPECT_EQ(read_text(d + "/memory.low"), std::to_string(48 << 20) + "\n");
    EXPECT_EQ(read_text(tcg->dir_for("memory") + "/memory.max"), std::to_string(512 << 20) + "\n");
    EXPECT_EQ(read_text(tcg->dir_for("cpu") + "/cpu.max"), "100000 100000\n");
  } else {
    std::string d = cg->dir_for("memory");
    EXPECT_EQ(read_text(d + "/memory.limit_in_bytes"), std::to_string(96 << 20) + "\n");
    EXPECT_EQ(read_text(d + "/memory.soft_limit_in_bytes"), std::to_string(48 << 20) + "\n");
    EXPECT_EQ(read_text(cg->dir_for("cpu") + "/cpu.shares"), "2\n");
    EXPECT_EQ(read_text(big->dir_for("cpu") + "/cpu.shares"), "512\n");
    EXPECT_EQ(read_text(tcg->dir_for("memory") + "/memory.limit_in_bytes"), std::to_string(512 << 20) + "\n");
    EXPECT_EQ(read_text(tcg->dir_for("cpu") + "/cpu.cfs_quota_us"), "100000\n");
    EXPECT_EQ(read_text(tcg->dir_for("cpu") + "/cpu.cfs_period_us"), "100000\n");
  }
  sh(ecsd() + " stop " + id);
  auto t = wait_stopped(id);
  EXPECT_EQ(t.value("stoppedReason", ""), "Task stopped by user");
}

TEST_F(EngineRoot, UserGroupsHostnameDnsAndHosts) {
  json c = cdef("who", "id; hostname; cat /etc/hostname; cat /etc/resolv.conf; cat /etc/hosts; echo HOME=$HOME");
  c["user"] = "app";
  c["hostname"] = "tasky";
  c["dnsServers"] = {"10.1.2.3"};
  c["dnsSearchDomains"] = {"example.internal"};
  c["extraHosts"] = {{{"hostname", "db.local"}, {"ipAddress", "10.9.8.7"}}};
  json n = cdef("num", "id -u; id -g");
  n["user"] = "4321:123";
  n["essential"] = false;
  c["dependsOn"] = {{{"containerName", "num"}, {"condition", "COMPLETE"}}};
  std::string id = submit(taskdef("ident", json::array({c, n})));
  auto t = wait_stopped(id);
  EXPECT_EQ(container(t, "who").value("exitCode", -1), 0);
  std::string out = logs(id, "who");
  EXPECT_NE(out.find("uid=1000(app) gid=1000(app) groups=10(wheel),29(audio)"), std::string::npos) << out;
  EXPECT_NE(out.find("tasky\ntasky\n"), std::string::npos) << out;
  EXPECT_NE(out.find("nameserver 10.1.2.3"), std::string::npos) << out;
  EXPECT_NE(out.find("search example.internal"), std::string::npos) << out;
  EXPECT_NE(out.find("10.9.8.7\tdb.local"), std::string::npos) << out;
  EXPECT_NE(out.find("HOME=/home/app"), std::string::npos) << out;
  EXPECT_EQ(logs(id, "num"), "4321\n123\n");
}

TEST_F(EngineRoot, CapabilitiesPrivilegedFalseAndTrue) {
  json u = cdef("plain", "grep CapEff /proc/self/status");
  json p = cdef("priv", "grep CapEff /proc/self/status");
  p["privileged"] = true;
  p["essential"] = false;
  json a = cdef("added", "grep CapEff /proc/self/status");
  a["linuxParameters"] = {{"capabilities", {{"add", {"NET_ADMIN"}}, {"drop", {"NET_RAW"}}}}};
  a["essential"] = false;
  // The essential one runs last, so the task does not stop before the others ran.
  u["dependsOn"] = {{{"containerName", "priv"}, {"condition", "COMPLETE"}},
                    {{"containerName", "added"}, {"condition", "COMPLETE"}}};
  std::string id = submit(taskdef("caps", json::array({u, p, a})));
  wait_stopped(id);
  auto mask = [](const std::string& s) {
    auto pos = s.find("CapEff:");
    return pos == std::string::npos ? std::string() : s.substr(pos + 8, 16);
  };
  auto hb = ecsd::runtime::host_bounding_set();
  ASSERT_TRUE(hb);
  char want_priv[32];
  std::snprintf(want_priv, sizeof want_priv, "%016llx", static_cast<unsigned long long>(*hb));
  EXPECT_EQ(mask(logs(id, "plain")), "00000000a80425fb");  // Docker's 14
  EXPECT_EQ(mask(logs(id, "priv")), want_priv);
  // +NET_ADMIN (bit 12) -NET_RAW (bit 13)
  EXPECT_EQ(mask(logs(id, "added")), "00000000a80415fb");
}

TEST_F(EngineRoot, HealthCheckTransitionsHealthyThenUnhealthy) {
  json c = cdef("hc", "touch /tmp/ok; sleep 8; rm /tmp/ok; sleep 300");
  c["healthCheck"] = {{"command", {"CMD-SHELL", "test -f /tmp/ok && echo fine || { echo gone; exit 3; }"}},
                      {"interval", 5}, {"timeout", 2}, {"retries", 1}};
  std::string id = submit(taskdef("health", json::array({c})));
  auto t = wait_task(id, [](const json& t) {
    return container(t, "hc").contains("health") && container(t, "hc")["health"].value("status", "") == "HEALTHY";
  });
  EXPECT_EQ(container(t, "hc")["health"].value("lastOutput", ""), "fine\n");
  t = wait_task(id, [](const json& t) {
    return container(t, "hc").contains("health") && container(t, "hc")["health"].value("status", "") == "UNHEALTHY";
  });
  EXPECT_EQ(container(t, "hc")["health"].value("lastExitCode", -1), 3);
  EXPECT_EQ(container(t, "hc")["health"].value("lastOutput", ""), "gone\n");
  std::vector<std::string> seen;
  for (const auto& e : events(id))
    if (e.contains("health")) seen.push_back(e["health"]);
  EXPECT_EQ(seen, (std::vector<std::string>{"HEALTHY", "UNHEALTHY"}));
  sh(ecsd() + " stop " + id);
  wait_stopped(id);
}

TEST_F(EngineRoot, DependsOnOrderAndReverseStop) {
  json init = cdef("init", "echo init-done; exit 0");
  init["essential"] = false;
  json app = cdef("app", "trap 'echo app-stopping; exit 0' TERM; while true; do sleep 0.2; done");
  app["dependsOn"] = {{{"containerName", "init"}, {"condition", "SUCCESS"}}};
  json side = cdef("side", "trap 'echo side-stopping; exit 0' TERM; while true; do sleep 0.2; done");
  side["essential"] = false;
  side["dependsOn"] = {{{"containerName", "app"}, {"condition", "START"}}};
  std::string id = submit(taskdef("order", json::array({side, app, init})));
  auto t = wait_running(id);
  EXPECT_LE(container(t, "init").value("finishedAt", ""), container(t, "app").value("startedAt", ""));
  EXPECT_LE(container(t, "app").value("startedAt", ""), container(t, "side").value("startedAt", ""));
  sh(ecsd() + " stop " + id);
  t = wait_stopped(id);
  // side depends on app: it stops first.
  EXPECT_LE(container(t, "side").value("finishedAt", ""), container(t, "app").value("finishedAt", ""));
  EXPECT_EQ(container(t, "app").value("exitCode", -1), 0);
  EXPECT_EQ(container(t, "side").value("exitCode", -1), 0);
}

TEST_F(EngineRoot, EssentialExitStopsTheTaskWithReason) {
  json ess = cdef("ess", "sleep 1; exit 5");
  json other = cdef("other", "sleep 300");
  other["essential"] = false;
  std::string id = submit(taskdef("essential", json::array({ess, other})));
  auto t = wait_stopped(id);
  EXPECT_EQ(t.value("stoppedReason", ""), "Essential container in task exited");
  EXPECT_EQ(container(t, "ess").value("exitCode", -1), 5);
  EXPECT_EQ(container(t, "other").value("lastStatus", ""), "STOPPED");
  // sleep as pid 1 ignores SIGTERM: SIGKILL after the stop timeout.
  EXPECT_EQ(container(t, "other").value("exitCode", -1), 137);
}

TEST_F(EngineRoot, OomIsReportedAsOutOfMemoryError) {
  json c = cdef("hog", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived ${#x}");
  c["memory"] = 16;
  std::string id = submit(taskdef("oom", json::array({c})));
  auto t = wait_stopped(id);
  EXPECT_EQ(container(t, "hog").value("reason", ""), "OutOfMemoryError: Container killed due to memory usage")
      << t.dump(2);
  EXPECT_EQ(container(t, "hog").value("exitCode", -1), 137);
}

TEST_F(EngineRoot, StopTimeoutEscalatesToSigkill) {
  json c = cdef("stubborn", "trap 'echo got-term' TERM; while true; do sleep 0.2; done");
  c["stopTimeout"] = 2;
  json g = cdef("graceful", "trap 'exit 0' TERM; while true; do sleep 0.2; done");
  g["essential"] = false;
  std::string id = submit(taskdef("stoptimeout", json::array({c, g})));
  wait_running(id);
  sh(ecsd() + " stop " + id);
  auto t = wait_stopped(id);
  EXPECT_EQ(container(t, "stubborn").value("exitCode", -1), 137);
  EXPECT_EQ(container(t, "graceful").value("exitCode", -1), 0);
  EXPECT_NE(logs(id, "stubborn").find("got-term"), std::string::npos);
}

TEST_F(EngineRoot, VolumesHostTaskScopedAndVolumesFrom) {
  std::string host_dir = g_tmp + "/hostvol";
  ::mkdir(host_dir.c_str(), 0755);
  std::ofstream(host_dir + "/from-host") << "hi\n";
  json w = cdef("writer", "cat /h/from-host; echo shared > /scratch/file; sleep 3");
  w["mountPoints"] = {{{"sourceVolume", "hostvol"}, {"containerPath", "/h"}, {"readOnly", true}},
                      {{"sourceVolume", "scratch"}, {"containerPath", "/scratch"}}};
  json r = cdef("reader", "sleep 1; cat /scratch/file; touch /h/x 2>/dev/null && echo writable || echo read-only");
  r["essential"] = false;
  r["volumesFrom"] = {{{"sourceContainer", "writer"}}};
  r["dependsOn"] = {{{"containerName", "writer"}, {"condition", "START"}}};
  json td = taskdef("volumes", json::array({w, r}));
  td["volumes"] = {{{"name", "hostvol"}, {"host", {{"sourcePath", host_dir}}}}, {{"name", "scratch"}}};
  std::string id = submit(td);
  auto t = wait_stopped(id);
  EXPECT_EQ(logs(id, "writer"), "hi\n");
  EXPECT_EQ(logs(id, "reader"), "shared\nread-only\n");
}

TEST_F(EngineRoot, BridgeModePortMappingHostsAndTeardown) {
  json c = cdef("web", "echo page > /tmp/index.html; grep -w $(hostname) /etc/hosts; exec httpd -f -p 8080 -h /tmp");
  c["portMappings"] = {{{"containerPort", 8080}}};  // dynamic host port
  json td = {{"family", "bridged"}, {"containerDefinitions", json::array({c})}};  // networkMode absent: bridge
  std::string id = submit(td);
  auto t = wait_running(id);
  const auto& b = container(t, "web")["networkBindings"];
  ASSERT_EQ(b.size(), 1u) << t.dump(2);
  EXPECT_EQ(b[0].value("containerPort", 0), 8080);
  int host_port = b[0].value("hostPort", 0);
  EXPECT_GT(host_port, 0);
  std::string body;
  for (int i = 0; i < 50 && body != "page\n"; ++i) {
    body = sh("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(host_port) + "/index.html").out;
    if (body != "page\n") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(body, "page\n");
  // /etc/hosts names the task's own bridge address.
  std::string hosts = logs(id, "web");
  EXPECT_EQ(hosts.rfind("10.", 0), 0u) << hosts;
  struct stat st {};
  EXPECT_EQ(::stat((g_net.run_dir + "/netns/" + id).c_str(), &st), 0);
  sh(ecsd() + " stop " + id);
  wait_stopped(id);
  EXPECT_NE(::stat((g_net.run_dir + "/netns/" + id).c_str(), &st), 0) << "network namespace left after stop";
}

TEST_F(EngineRoot, JsonFileLogRotation) {
  // ~100-byte lines for about 7 s; max-size 2k: rotated at least once;
  // max-file 2: only NAME.log and NAME.log.1.
  json c = cdef("chatty", "i=0; while [ $i -lt 70 ]; do echo \"line $i $(printf '%080d' 0)\"; i=$((i+1)); sleep 0.1; done");
  c["logConfiguration"] = {{"logDriver", "json-file"}, {"options", {{"max-size", "2k"}, {"max-file", "2"}}}};
  std::string id = submit(taskdef("rotate", json::array({c})));
  wait_stopped(id);
  std::string base = g_data + "/logs/" + id + "/chatty.log";
  struct stat st {};
  EXPECT_EQ(::stat((base + ".1").c_str(), &st), 0) << "no rotated file";
  EXPECT_NE(::stat((base + ".2").c_str(), &st), 0) << "more files than max-file";
  std::string all = logs(id, "chatty");
  EXPECT_NE(all.find("line 69 "), std::string::npos);   // the newest lines are kept
  EXPECT_EQ(all.find("line 0 "), std::string::npos);    // the oldest were rotated away
}

TEST_F(EngineRoot, BadTaskDefinitionsNameTheFieldAndStartNothing) {
  auto before = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false).size();
  json c = cdef("a", "true");
  c["memory"] = 64;
  c["memoryReservation"] = 128;
  auto r = sh(ecsd() + " run -d " + write_taskdef(taskdef("bad1", json::array({c}))));
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("containerDefinitions[0].memoryReservation"), std::string::npos) << r.out;

  json a = cdef("a", "true"), b = cdef("b", "true");
  a["dependsOn"] = {{{"containerName", "b"}, {"condition", "START"}}};
  b["dependsOn"] = {{{"containerName", "a"}, {"condition", "START"}}};
  r = sh(ecsd() + " run -d " + write_taskdef(taskdef("bad2", json::array({a, b}))));
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("dependsOn"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cycle"), std::string::npos) << r.out;

  json m = cdef("m", "true");
  m["mountPoints"] = {{{"sourceVolume", "nope"}, {"containerPath", "/x"}}};
  r = sh(ecsd() + " run -d " + write_taskdef(taskdef("bad3", json::array({m}))));
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("mountPoints"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nope"), std::string::npos) << r.out;

  r = sh(ecsd() + " run -d " + write_taskdef(taskdef("bad4", json::array({cdef("x", "true")}), "awsvpc")));
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("networkMode"), std::string::npos) << r.out;

  auto after = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false).size();
  EXPECT_EQ(before, after);

  // An unknown image is only known at pull time: nothing starts, the reason says why.
  json u = cdef("u", "true");
  u["image"] = g_image.substr(0, g_image.find('/')) + "/ecsd-test/no-such-image:latest";
  std::string id = submit(taskdef("badimage", json::array({u})));
  auto t = wait_stopped(id);
  EXPECT_EQ(t.value("stoppedReason", "").rfind("CannotPullContainerError:", 0), 0u) << t.dump(2);
  EXPECT_FALSE(container(t, "u").contains("exitCode"));
  EXPECT_FALSE(container(t, "u").contains("startedAt"));
}

TEST_F(EngineRoot, KillNineOfTheEngineThenRestartAdoptsEverything) {
  json longrun = cdef("long", "echo started-once; sleep 300");
  std::string a = submit(taskdef("adopt-long", json::array({longrun})));
  json soon = cdef("soon", "sleep 2; exit 9");
  std::string b = submit(taskdef("adopt-exit", json::array({soon})));
  auto ta = wait_running(a);
  wait_running(b);
  int pid_before = container(ta, "long").value("pid", 0);
  // Submitted just before the kill: caught while pulling or starting.
  json starting = cdef("late", "echo started-once; sleep 300");
  std::string c = submit(taskdef("adopt-starting", json::array({starting})));
  stop_daemon(SIGKILL);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // b exits while no engine runs
  start_daemon();
  ta = wait_running(a);
  EXPECT_EQ(container(ta, "long").value("pid", 0), pid_before);
  auto tb = wait_stopped(b);
  EXPECT_EQ(container(tb, "soon").value("exitCode", -1), 9);
  wait_running(c);
  // Nothing started twice.
  EXPECT_EQ(logs(a, "long"), "started-once\n");
  EXPECT_EQ(logs(c, "late"), "started-once\n");
  // Kill again and restart once more: each exit is reported once.
  stop_daemon(SIGKILL);
  start_daemon();
  int stopped_events = 0;
  for (const auto& e : events(b))
    if (e.value("container", "") == "soon" && e.value("status", "") == "STOPPED") ++stopped_events;
  EXPECT_EQ(stopped_events, 1);
  sh(ecsd() + " stop " + a + " " + c);
  wait_stopped(a);
  wait_stopped(c);
}

}  // namespace
