// `ecsd doctor` end to end: host checks on this machine, and the network
// checks against a stand-in IMDS / ECS endpoint (fake-aws-endpoints.py) whose
// Date header is skewed on purpose.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace fs = std::filesystem;

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

class Doctor : public ::testing::Test {
 protected:
  std::string dir;
  pid_t server = -1;
  int port = 0;

  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "run the root suites as root";
    char tmpl[] = "/tmp/ecsd-doctor-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    if (server > 0) {
      ::kill(server, SIGTERM);
      ::waitpid(server, nullptr, 0);
    }
    fs::remove_all(dir);
  }
  void start_endpoints(int skew) {
    std::string portfile = dir + "/port";
    server = ::fork();
    ASSERT_GE(server, 0);
    if (server == 0) {
      std::string script = std::string(ECSD_PACKAGING_TEST_DIR) + "/fake-aws-endpoints.py";
      std::string s = std::to_string(skew);
      ::execlp("python3", "python3", script.c_str(), s.c_str(), portfile.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(portfile); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(fs::exists(portfile)) << "fake endpoints did not start";
    std::ifstream(portfile) >> port;
  }
  // A clean environment: no real AWS settings leak in.
  Out doctor(const std::string& env, const std::string& config_text = "") {
    std::ofstream(dir + "/ecs.config") << config_text;
    return sh("env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=" + dir + " " + env + " " + ECSD_BIN_DIR +
              "/ecsd --data-dir " + dir + " doctor --timeout 1500 --config " + dir + "/ecs.config");
  }
  std::string url() { return "http://127.0.0.1:" + std::to_string(port); }
};

TEST_F(Doctor, HostChecksPassOnThisMachine) {
  auto o = doctor("", "");
  // No cluster: network findings are warnings only. This host has everything.
  EXPECT_EQ(o.rc, 0) << o.out;
  for (const char* name : {"] kernel", "] namespaces", "] cgroups", "] overlayfs", "] seccomp", "] nftables",
                           "] disk space", "] ecsd-shim", "] ecsd-init"})
    EXPECT_NE(o.out.find(std::string("[ok  ") + name), std::string::npos) << name << "\n" << o.out;
  EXPECT_NE(o.out.find("local mode"), std::string::npos) << o.out;
}

TEST_F(Doctor, ClusterModeAllReachableWithSkewedClockFails) {
  start_endpoints(3600);
  auto o = doctor("AWS_EC2_METADATA_SERVICE_ENDPOINT=" + url(), "ECS_CLUSTER=pkgtest\nECS_BACKEND_HOST=" + url() + "\n");
  EXPECT_EQ(o.rc, 1) << o.out;
  EXPECT_NE(o.out.find("[ok  ] cluster          ECS_CLUSTER=pkgtest"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[ok  ] IMDS             reachable (IMDSv2), region us-west-2"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[ok  ] credentials      found: instance profile (pkgtest-role)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[ok  ] ECS endpoint     " + url() + " answered HTTP 404"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[FAIL] clock"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("s behind " + url()), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("fix: sync the clock"), std::string::npos) << o.out;
}

TEST_F(Doctor, ClusterModeInSyncPasses) {
  start_endpoints(0);
  auto o = doctor("AWS_EC2_METADATA_SERVICE_ENDPOINT=" + url(), "ECS_CLUSTER=pkgtest\nECS_BACKEND_HOST=" + url() + "\n");
  EXPECT_EQ(o.rc, 0) << o.out;
  EXPECT_NE(o.out.find("[ok  ] clock"), std::string::npos) << o.out;
}

TEST_F(Doctor, ClusterModeWithoutImdsOrCredentialsFailsWithFixes) {
  // A port nothing listens on: bind, read the port, close.
  auto p = sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'");
  std::string dead = "http://127.0.0.1:" + p.out.substr(0, p.out.find('\n'));
  auto o = doctor("ECS_CLUSTER=pkgtest AWS_EC2_METADATA_SERVICE_ENDPOINT=" + dead + " ECS_BACKEND_HOST=" + dead);
  EXPECT_EQ(o.rc, 1) << o.out;
  EXPECT_NE(o.out.find("[FAIL] IMDS             not reachable"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[FAIL] credentials"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("fix: attach an instance profile"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[FAIL] ECS endpoint     not reachable"), std::string::npos) << o.out;
}

TEST_F(Doctor, EnvironmentCredentialsAndLocalModeWarnOnly) {
  auto p = sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'");
  std::string dead = "http://127.0.0.1:" + p.out.substr(0, p.out.find('\n'));
  auto o = doctor("AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_SERVICE_ENDPOINT=" + dead);
  EXPECT_EQ(o.rc, 0) << o.out;
  EXPECT_NE(o.out.find("[warn] IMDS"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[ok  ] credentials      found: environment"), std::string::npos) << o.out;
}

}  // namespace
