// The service contract across an agent restart, with the real engine:
// stopping the agent the way the unit does (KillMode=process: SIGTERM to the
// main pid only, nothing else in its cgroup or session is signalled) leaves
// the task's container and shim running, and the restarted agent adopts the
// container (same pid, RUNNING) and can stop it.
//
// The "agent" is `ecsd daemon` (local mode, what `ecsd agent` runs without
// ECS_CLUSTER), started in its own session as systemd would start it, with
// an image from the local registry fixture.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

using nlohmann::json;

namespace {

struct Out {
  int rc = -1;
  std::string out;
};

Out sh(const std::string& cmd) {
  Out o;
  FILE* p = ::popen(("(" + cmd + ") 2>&1").c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int st = ::pclose(p);
  o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return o;
}

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AgentRestart : public ::testing::Test {
 protected:
  std::string tmp, data, reg_dir, image;
  pid_t agent = 0;

  std::string ecsd() { return std::string(ECSD_BIN_DIR) + "/ecsd --data-dir " + data; }

  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "needs root (containers, cgroups, mounts)";
    char t[] = "/tmp/ecsd-agent-restart-XXXXXX";
    ASSERT_NE(::mkdtemp(t), nullptr);
    tmp = t;
    data = tmp + "/data";
    reg_dir = tmp + "/registry";
    std::string fx = std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry";
    auto reg = sh(fx + "/start-registry --dir " + reg_dir);
    ASSERT_EQ(reg.rc, 0) << reg.out;
    std::string addr = reg.out.substr(reg.out.rfind("127.0.0.1"));
    while (!addr.empty() && addr.back() == '\n') addr.pop_back();
    auto push = sh("ECSD_BUSYBOX_LAYOUT=" + tmp + "/layout " + fx + "/push-busybox " + addr);
    ASSERT_EQ(push.rc, 0) << push.out;
    image = addr + "/ecsd-test/busybox:latest";
  }

  void TearDown() override {
    if (tmp.empty()) return;
    if (agent == 0 && !data.empty()) start_agent("0s");
    if (agent) {
      auto l = json::parse(sh(ecsd() + " ps --json").out, nullptr, false);
      if (l.is_array())
        for (const auto& t : l) sh(ecsd() + " stop " + t.value("id", ""));
      stop_agent(SIGTERM);
      start_agent("0s");  // no cleanup wait: removes every stopped task's state
      for (int i = 0; i < 100; ++i) {
        auto a = json::parse(sh(ecsd() + " ps -a --json").out, nullptr, false);
        if (a.is_array() && a.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      stop_agent(SIGTERM);
    }
    sh(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry/stop-registry --dir " + reg_dir);
    sh("umount -R " + data + "/tasks/*/*/rootfs 2>/dev/null; rm -rf " + tmp);
  }

  void start_agent(const std::string& cleanup_wait = "1h") {
    pid_t p = ::fork();
    if (p == 0) {
      ::setsid();  // its own session, like a service: nothing shares its group
      ::setenv("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", cleanup_wait.c_str(), 1);
      ::setenv("ECS_CONTAINER_STOP_TIMEOUT", "5s", 1);
      std::string log = data + "/agent-test.log";
      sh("mkdir -p " + data);
      if (!std::freopen(log.c_str(), "a", stderr)) ::_exit(126);
      std::string bin = std::string(ECSD_BIN_DIR) + "/ecsd";
      ::execl(bin.c_str(), "ecsd", "--data-dir", data.c_str(), "daemon", nullptr);
      ::_exit(127);
    }
    agent = p;
    for (int i = 0; i < 200; ++i) {
      struct stat st {};
      if (::stat((data + "/ecsd.pid").c_str(), &st) == 0 && sh(ecsd() + " ps").rc == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "agent did not start: " << read_text(data + "/agent-test.log");
  }

  int stop_agent(int sig) {
    if (agent <= 0) return -1;
    ::kill(agent, sig);  // the main pid only, as KillMode=process does
    int st = 0;
    ::waitpid(agent, &st, 0);
    agent = 0;
    return st;
  }

  json inspect(const std::string& id) {
    auto r = sh(ecsd() + " inspect " + id);
    return r.rc == 0 ? json::parse(r.out, nullptr, false) : json();
  }

  json wait_status(const std::string& id, const std::string& status) {
    json t;
    for (int i = 0; i < 600; ++i) {
      t = inspect(id);
      if (t.is_object() && t.value("lastStatus", "") == status) return t;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "task " << id << " never reached " << status << "; last: " << t.dump(2);
    return t;
  }
};

int container_pid(const json& t) {
  for (const auto& c : t.value("containers", json::array()))
    if (c.value("name", "") == "app") return c.value("pid", 0);
  return 0;
}

TEST_F(AgentRestart, SigtermToTheAgentLeavesTheContainerAndTheRestartedAgentAdoptsIt) {
  ASSERT_NO_FATAL_FAILURE(start_agent());
  json td = {{"family", "pkg-adopt"},
             {"networkMode", "none"},
             {"containerDefinitions",
              json::array({{{"name", "app"}, {"image", image}, {"essential", true}, {"memory", 32},
                            {"command", {"sh", "-c", "echo started-once; exec sleep 300"}}}})}};
  std::string path = tmp + "/taskdef.json";
  std::ofstream(path) << td.dump(2);
  auto r = sh(ecsd() + " run --detach " + path);
  ASSERT_EQ(r.rc, 0) << r.out;
  std::string id = r.out.substr(0, r.out.find('\n'));
  auto t = wait_status(id, "RUNNING");
  int pid = container_pid(t);
  ASSERT_GT(pid, 0) << t.dump(2);
  auto ppid = [](int p) {
    std::string o = sh("ps -o ppid= -p " + std::to_string(p)).out;
    size_t a = o.find_first_not_of(" \n"), b = o.find_last_not_of(" \n");
    return a == std::string::npos ? std::string() : o.substr(a, b - a + 1);
  };
  std::string shim_before = ppid(pid);
  ASSERT_FALSE(shim_before.empty());

  // systemctl stop / restart: SIGTERM to the main pid only.
  int st = stop_agent(SIGTERM);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "agent did not exit cleanly on SIGTERM: status " << st;
  EXPECT_EQ(::kill(pid, 0), 0) << "the container died with the agent";
  std::string shim_after = ppid(pid);
  EXPECT_EQ(shim_after, shim_before) << "the container's shim changed or died";
  EXPECT_NE(sh("ps -o args= -p " + shim_after).out.find("ecsd-shim"), std::string::npos);

  // The restarted agent adopts it: same process, RUNNING, started once.
  ASSERT_NO_FATAL_FAILURE(start_agent());
  auto t2 = wait_status(id, "RUNNING");
  EXPECT_EQ(container_pid(t2), pid) << t2.dump(2);
  EXPECT_EQ(sh(ecsd() + " logs " + id + " app").out, "started-once\n");
  // ...and controls it: stop goes through, the exit is reported.
  auto s = sh(ecsd() + " stop " + id);
  EXPECT_EQ(s.rc, 0) << s.out;
  auto t3 = wait_status(id, "STOPPED");
  EXPECT_NE(::kill(pid, 0), 0);
  bool has_exit = false;
  for (const auto& c : t3.value("containers", json::array()))
    if (c.value("name", "") == "app") has_exit = c.contains("exitCode");
  EXPECT_TRUE(has_exit) << t3.dump(2);
}

}  // namespace
