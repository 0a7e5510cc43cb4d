// `ecsd prepare-host` / `ecsd cleanup-host` in a network namespace of the
// test's own (sysctls under /proc/sys/net and nftables are per namespace, so
// the host's firewall and sysctls are never touched): what is set, that it
// is idempotent, that a task behind the bridge reaches the agent port through
// 169.254.170.2, and that cleanup removes only what prepare added.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
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

std::string q(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

class PrepareHost : public ::testing::Test {
 protected:
  std::string ns, task_ns, dir, server_pid;
  const std::string ecsd = std::string(ECSD_BIN_DIR) + "/ecsd";

  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "needs root (network namespaces, nftables)";
    std::string id = std::to_string(::getpid());
    ns = "ecsd-ph-" + id;
    task_ns = "ecsd-pht-" + id;
    char tmpl[] = "/tmp/ecsd-prephost-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    auto r = sh("ip netns add " + ns + " && ip netns add " + task_ns + " && " + in(ns, "ip link set lo up") + " && " +
                in(task_ns, "ip link set lo up"));
    ASSERT_EQ(r.rc, 0) << r.out;
  }
  void TearDown() override {
    if (!server_pid.empty()) sh("kill " + server_pid);
    sh("ip netns del " + ns + "; ip netns del " + task_ns);
    if (!dir.empty()) fs::remove_all(dir);
  }
  std::string in(const std::string& n, const std::string& cmd) { return "ip netns exec " + n + " sh -c " + q(cmd); }
  Out host(const std::string& cmd) { return sh(in(ns, cmd)); }
  std::string args() { return " --state-file " + dir + "/run/host-prepare.json --log-dir " + dir + "/log"; }
  Out prepare(const std::string& extra = "") {
    return host(ecsd + " --data-dir " + dir + "/data prepare-host" + args() + extra);
  }
  Out cleanup() { return host(ecsd + " cleanup-host --state-file " + dir + "/run/host-prepare.json"); }
  std::string sysctl(const std::string& key) {
    auto o = host("cat /proc/sys/" + key).out;
    while (!o.empty() && o.back() == '\n') o.pop_back();
    return o;
  }
};

TEST_F(PrepareHost, SetsSysctlsRulesDirsAndIsIdempotent) {
  ASSERT_EQ(host("ip link add ecs-br0 type bridge && ip link add ph-dummy type veth peer name ph-dummy-p").rc, 0);
  // A new netns inherits ip_forward from the host (devconf_inherit_init_net 0),
  // which may already be 1: start the test host from 0.
  ASSERT_EQ(host("echo 0 > /proc/sys/net/ipv4/ip_forward").rc, 0);
  ASSERT_EQ(sysctl("net/ipv4/ip_forward"), "0");
  ASSERT_EQ(sysctl("net/ipv4/conf/ecs-br0/route_localnet"), "0");
  auto p = prepare(" --route-localnet ecs-br0 --route-localnet ph-dummy --route-localnet absent0");
  ASSERT_EQ(p.rc, 0) << p.out;
  EXPECT_NE(p.out.find("interface absent0 absent"), std::string::npos) << p.out;
  EXPECT_EQ(sysctl("net/ipv4/ip_forward"), "1");
  EXPECT_EQ(sysctl("net/ipv4/conf/ecs-br0/route_localnet"), "1");
  EXPECT_EQ(sysctl("net/ipv4/conf/ph-dummy/route_localnet"), "1");
  EXPECT_EQ(fs::status(dir + "/data").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_TRUE(fs::is_directory(dir + "/log"));
  auto t1 = host("nft list table ip ecsd_host");
  ASSERT_EQ(t1.rc, 0) << t1.out;
  EXPECT_NE(t1.out.find("ip daddr 169.254.170.2 tcp dport 80 dnat to 127.0.0.1:51679"), std::string::npos) << t1.out;
  EXPECT_NE(t1.out.find("iifname != \"lo\" ip daddr 127.0.0.0/8 tcp dport { 51678, 51679 }"), std::string::npos)
      << t1.out;
  // Again: same table, same values, still one table.
  auto p2 = prepare(" --route-localnet ecs-br0 --route-localnet ph-dummy");
  ASSERT_EQ(p2.rc, 0) << p2.out;
  EXPECT_NE(p2.out.find("already 1"), std::string::npos) << p2.out;
  EXPECT_EQ(host("nft list table ip ecsd_host").out, t1.out);
  EXPECT_EQ(host("nft list tables").out, "table ip ecsd_host\n");
}

TEST_F(PrepareHost, CleanupRemovesOnlyWhatPrepareAdded) {
  ASSERT_EQ(host("ip link add ecs-br0 type bridge && ip link add ph-dummy type veth peer name ph-dummy-p && "
                 "ip link add ph-mine type veth peer name ph-mine-p && echo 1 > /proc/sys/net/ipv4/conf/ph-mine/route_localnet && "
                 "nft add table ip someone_else && nft add chain ip someone_else c '{ type filter hook input priority 0; }' && "
                 "nft add rule ip someone_else c tcp dport 9 drop")
                .rc,
            0);
  auto before = host("nft list table ip someone_else").out;
  ASSERT_EQ(prepare(" --route-localnet ecs-br0 --route-localnet ph-dummy --route-localnet ph-mine").rc, 0);
  auto c = cleanup();
  ASSERT_EQ(c.rc, 0) << c.out;
  EXPECT_EQ(host("nft list tables").out, "table ip someone_else\n");
  EXPECT_EQ(host("nft list table ip someone_else").out, before);
  EXPECT_EQ(sysctl("net/ipv4/conf/ph-dummy/route_localnet"), "0");  // ours: restored
  EXPECT_EQ(sysctl("net/ipv4/conf/ph-mine/route_localnet"), "1");   // was already 1: not ours
  EXPECT_EQ(sysctl("net/ipv4/conf/ecs-br0/route_localnet"), "1");   // running tasks need it
  EXPECT_EQ(sysctl("net/ipv4/ip_forward"), "1");                    // running tasks need it
  EXPECT_TRUE(fs::is_directory(dir + "/data"));                     // data is never removed
  EXPECT_FALSE(fs::exists(dir + "/run/host-prepare.json"));
  // A second cleanup has nothing to do and succeeds.
  auto c2 = cleanup();
  EXPECT_EQ(c2.rc, 0) << c2.out;
  EXPECT_NE(c2.out.find("nothing to clean up"), std::string::npos) << c2.out;
}

// A task behind the bridge reaches the agent's credentials port through
// 169.254.170.2:80, and the host itself does too: the DNAT rules plus
// route_localnet on the bridge, exactly as prepare-host leaves them.
TEST_F(PrepareHost, MetadataAddressReachesTheAgentPort) {
  auto setup = sh("ip link add ph-v0 netns " + ns + " type veth peer name eth0 netns " + task_ns + " && " +
                  in(ns, "ip link add ecs-br0 type bridge && ip addr add 172.30.9.1/24 dev ecs-br0 && "
                         "ip link set ecs-br0 up && ip link set ph-v0 master ecs-br0 && ip link set ph-v0 up && "
                         "ip link add ph-meta type veth peer name ph-meta-p && ip link set ph-meta-p up && ip addr add 169.254.170.1/24 dev ph-meta && "
                         "ip link set ph-meta up") +
                  " && " +
                  in(task_ns, "ip addr add 172.30.9.2/24 dev eth0 && ip link set eth0 up && "
                              "ip route add default via 172.30.9.1"));
  ASSERT_EQ(setup.rc, 0) << setup.out;
  ASSERT_EQ(prepare().rc, 0);
  // The "agent": an HTTP server on 127.0.0.1:51679 in the host namespace.
  auto srv = host("cd " + dir + " && echo agent-endpoint > index.html && "
                  "(python3 -m http.server --bind 127.0.0.1 51679 >/dev/null 2>&1 & echo $!)");
  ASSERT_EQ(srv.rc, 0) << srv.out;
  server_pid = srv.out.substr(0, srv.out.find('\n'));
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = host("curl -s -m 1 http://127.0.0.1:51679/").out == "agent-endpoint\n";
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "test server did not come up";
  auto from_host = host("curl -s -m 3 http://169.254.170.2/");
  EXPECT_EQ(from_host.out, "agent-endpoint\n") << from_host.out;
  auto from_task = sh(in(task_ns, "curl -s -m 3 http://169.254.170.2/"));
  EXPECT_EQ(from_task.out, "agent-endpoint\n") << from_task.out;
  // Without our table the same request from the task finds nothing.
  ASSERT_EQ(cleanup().rc, 0);
  auto after = sh(in(task_ns, "curl -s -m 2 http://169.254.170.2/"));
  EXPECT_NE(after.out, "agent-endpoint\n");
}

TEST_F(PrepareHost, RejectsBadArguments) {
  EXPECT_EQ(prepare(" --table 'x; flush ruleset'").rc, 1);
  EXPECT_EQ(host("nft list tables").out, "");
  EXPECT_EQ(prepare(" --agent-port 99999").rc, 2);
  EXPECT_EQ(prepare(" --bogus").rc, 2);
}

}  // namespace
