// Task networking against the real kernel. Each test process runs in its own
// "test host" (a private network + mount namespace, see test_host.h) joined
// by a veth to a "client host" namespace that plays another machine on the
// network. Tasks are namespaces made by ecsd::netns::Network; servers inside
// them are processes that join the task's netns path, as a runtime would.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "netns/network.h"
#include "tests/integration/netns/test_host.h"

namespace ecsd::netns {
namespace {

using testing::Child;
using testing::ClientHost;
using testing::http_get;
using testing::sh;
using testing::sh_out;

namespace fs = std::filesystem;

int g_counter = 0;

std::string hex(unsigned v, int width) {
  static const char* d = "0123456789abcdef";
  std::string s(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = d[v & 15];
  return s;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Whether a host process could bind 0.0.0.0:port (tcp) in the test host.
bool host_can_bind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A fresh test host per test, even when tests share one process.
    auto host = testing::enter_test_host();
    ASSERT_TRUE(host.ok) << host.error;
    ++g_counter;
    uniq_ = hex(static_cast<unsigned>(::getpid()) & 0xfffff, 5) + hex(static_cast<unsigned>(g_counter), 2);
    char tmpl[] = "/tmp/ecsd-nettest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Unique per test even when several tests share one process.
    octet_ = 100 + (static_cast<int>(::getpid()) + g_counter * 7) % 150;
    uplink_ip_ = "192.168." + std::to_string(octet_) + ".1";
    client_ip_ = "192.168." + std::to_string(octet_) + ".2";
    client_ = testing::make_client_host(dir_, "c" + uniq_, uplink_ip_, client_ip_, uplink_mtu_);
    ASSERT_EQ(testing::interfaces(client_.netns_path).size(), 2u) << "client host not set up";

    cfg_.bridge_name = "ebr" + uniq_;
    cfg_.subnet = "10." + std::to_string(octet_) + ".0.0/24";
    cfg_.state_dir = dir_ + "/state";
    cfg_.run_dir = dir_ + "/run";
    cfg_.nft_table = "ecsdt_" + uniq_;
    cfg_.veth_prefix = "vt";
  }

  void TearDown() override {
    if (net_) {
      auto st = net_->remove_all();
      EXPECT_TRUE(st) << st.error().message;
      net_.reset();
    }
    if (!client_.netns_path.empty()) testing::remove_client_host(client_);
    if (!dir_.empty()) {
      sh("umount -R " + dir_ + " 2>/dev/null");
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  Network& open() {
    auto n = Network::open(cfg_);
    // gtest reports the exception as this test's failure; TearDown still runs.
    if (!n) throw std::runtime_error("Network::open: " + n.error().message);
    net_ = std::move(*n);
    return *net_;
  }

  TaskNetwork setup(const TaskNetworkRequest& req) {
    auto r = net_->setup(req);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    return *r;
  }

  static TaskNetworkRequest bridge_task(const std::string& id, std::vector<PortMapping> ports = {}) {
    TaskNetworkRequest r;
    r.id = id;
    r.mode = Mode::bridge;
    r.port_mappings = std::move(ports);
    return r;
  }

  std::string web_dir(const std::string& body) {
    std::string d = dir_ + "/www-" + std::to_string(++g_counter);
    fs::create_directories(d);
    write_text(d + "/index.html", body);
    return d;
  }

  // Interfaces in the test host whose name starts with the veth prefix.
  std::vector<std::string> our_veths() {
    std::vector<std::string> out;
    for (const auto& i : testing::interfaces(""))
      if (i.rfind(cfg_.veth_prefix, 0) == 0) out.push_back(i);
    return out;
  }

  std::string table_text() { return sh_out("nft list table ip " + cfg_.nft_table); }

  // A Docker-style host: `tool` sets this test host's FORWARD policy to DROP
  // (the test host's own tables; ecsd leaves the policy as it is).
  void forward_drop_case(const std::string& tool) {
    ASSERT_EQ(sh(tool + " -w -P FORWARD DROP"), 0);
    {
      // Without the accept rules the DROP policy wins over ecsd's own table.
      cfg_.host_forward_accept = false;
      open();
      auto t = setup(bridge_task("nofwd-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
      Child s = testing::tcp_server(t.netns_path, "0.0.0.0", 80, "dropped");
      EXPECT_TRUE(http_get(client_.netns_path, uplink_ip_, 8080, 1000).rfind("ERR", 0) == 0);
      EXPECT_FALSE(contains(sh_out(tool + " -w -S FORWARD"), cfg_.bridge_name));
      ASSERT_TRUE(net_->remove_all());
      net_.reset();
      cfg_.host_forward_accept = true;
    }
    open();
    auto t = setup(bridge_task("fwd-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
    Child s = testing::tcp_server(t.netns_path, "0.0.0.0", 80, "through FORWARD DROP");
    Child peer = testing::peer_address_server(client_.netns_path, 7000);
    EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "through FORWARD DROP");
    EXPECT_EQ(testing::tcp_read(t.netns_path, client_ip_, 7000), uplink_ip_);
    std::string rules = sh_out(tool + " -w -S FORWARD");
    EXPECT_TRUE(contains(rules, "-P FORWARD DROP")) << rules;
    EXPECT_TRUE(contains(rules, "-i " + cfg_.bridge_name)) << rules;
    // Other hosts still reach only mapped ports, not the task's address.
    EXPECT_TRUE(http_get(client_.netns_path, t.ip, 80, 1000).rfind("ERR", 0) == 0);
    // Removing the network takes its rules out of the host chain again.
    ASSERT_TRUE(net_->remove_all());
    net_.reset();
    std::string after = sh_out(tool + " -w -S FORWARD");
    EXPECT_FALSE(contains(after, cfg_.bridge_name)) << after;
    EXPECT_TRUE(contains(after, "-P FORWARD DROP")) << after;
  }

  std::string dir_, uniq_, uplink_ip_, client_ip_;
  int octet_ = 0;
  uint32_t uplink_mtu_ = 1500;
  ClientHost client_;
  NetworkConfig cfg_;
  std::unique_ptr<Network> net_;
};

TEST_F(NetTest, MappedPortAnswersFromLocalhostClientHostAndOtherTasks) {
  auto& net = open();
  auto web = setup(bridge_task("web-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  ASSERT_FALSE(web.netns_path.empty());
  ASSERT_EQ(web.bindings.size(), 1u);
  EXPECT_EQ(web.bindings[0].host_port, 8080);
  EXPECT_EQ(web.bindings[0].container_port, 80);
  EXPECT_EQ(web.bindings[0].protocol, Protocol::tcp);
  EXPECT_EQ(web.bindings[0].bind_ip, "0.0.0.0");
  EXPECT_EQ(web.interface_name, "eth0");
  EXPECT_EQ(web.gateway, net.gateway());

  Child httpd = testing::busybox_httpd(web.netns_path, 80, web_dir("hello from the task\n"));
  ASSERT_GT(httpd.pid(), 0);

  // The host itself: localhost and its own uplink address.
  EXPECT_EQ(http_get("", "127.0.0.1", 8080), "hello from the task\n");
  EXPECT_EQ(http_get("", uplink_ip_, 8080), "hello from the task\n");
  // Another machine on the network.
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "hello from the task\n");
  // Another task, through the host's address and the bridge's (hairpin NAT).
  auto other = setup(bridge_task("other-" + uniq_));
  EXPECT_EQ(http_get(other.netns_path, uplink_ip_, 8080), "hello from the task\n");
  EXPECT_EQ(http_get(other.netns_path, other.gateway, 8080), "hello from the task\n");
  // The task itself through its own host port.
  EXPECT_EQ(http_get(web.netns_path, uplink_ip_, 8080), "hello from the task\n");
  // Unmapped ports are not reachable from outside.
  EXPECT_TRUE(http_get(client_.netns_path, uplink_ip_, 8081, 1000).rfind("ERR", 0) == 0);
  EXPECT_TRUE(http_get(client_.netns_path, web.ip, 80, 1000).rfind("ERR", 0) == 0)
      << "another host must not reach a task's address directly";
}

TEST_F(NetTest, UdpMappingStaticAndDynamic) {
  open();
  auto t = setup(bridge_task("dns-" + uniq_, {{.container_port = 5353, .host_port = 15353, .protocol = Protocol::udp},
                                              {.container_port = 5354, .protocol = Protocol::udp}}));
  ASSERT_EQ(t.bindings.size(), 2u);
  EXPECT_EQ(t.bindings[0].host_port, 15353);
  EXPECT_EQ(t.bindings[0].protocol, Protocol::udp);
  uint16_t dyn = t.bindings[1].host_port;
  EXPECT_TRUE(cfg_.dynamic_ports.contains(dyn)) << dyn;
  Child s1 = testing::udp_server(t.netns_path, 5353, "one:");
  Child s2 = testing::udp_server(t.netns_path, 5354, "two:");
  EXPECT_EQ(testing::udp_ask(client_.netns_path, uplink_ip_, 15353, "ping"), "one:ping");
  EXPECT_EQ(testing::udp_ask(client_.netns_path, uplink_ip_, dyn, "ping"), "two:ping");
  EXPECT_EQ(testing::udp_ask("", "127.0.0.1", 15353, "local"), "one:local");
  // tcp on the same number is not mapped.
  EXPECT_TRUE(http_get(client_.netns_path, uplink_ip_, 15353, 1000).rfind("ERR", 0) == 0);
}

TEST_F(NetTest, ContainerPortRangeMapsContiguousDynamicPorts) {
  open();
  auto t = setup(bridge_task("range-" + uniq_, {{.container_port = 7000, .container_port_end = 7002}}));
  ASSERT_EQ(t.bindings.size(), 3u);
  std::vector<Child> servers;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.bindings[i].container_port, 7000 + i);
    servers.push_back(testing::tcp_server(t.netns_path, "0.0.0.0", static_cast<uint16_t>(7000 + i),
                                          "port " + std::to_string(7000 + i)));
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, t.bindings[i].host_port), "port " + std::to_string(7000 + i));
}

TEST_F(NetTest, DynamicPortsAreDistinctAndSkipReservedAndBusyPorts) {
  cfg_.dynamic_ports = {49153, 49175};
  cfg_.reserved_ports = {49153, 49154, 49156, 49160};
  // A port some host process holds.
  Child busy = testing::tcp_server("", "0.0.0.0", 49155, "busy");
  ASSERT_GT(busy.pid(), 0);
  open();
  std::set<uint16_t> tcp_seen;
  std::vector<TaskNetwork> tasks;
  for (int i = 0; i < 4; ++i) {
    auto t = setup(bridge_task("dyn" + std::to_string(i) + "-" + uniq_,
                               {{.container_port = 80}, {.container_port = 81}, {.container_port = 53, .protocol = Protocol::udp}}));
    ASSERT_EQ(t.bindings.size(), 3u);
    for (const auto& b : t.bindings) {
      EXPECT_TRUE(cfg_.dynamic_ports.contains(b.host_port)) << b.host_port;
      EXPECT_EQ(std::count(cfg_.reserved_ports.begin(), cfg_.reserved_ports.end(), b.host_port), 0) << b.host_port;
      if (b.protocol == Protocol::tcp) {
        EXPECT_NE(b.host_port, 49155) << "a port in use on the host was handed out";
        EXPECT_TRUE(tcp_seen.insert(b.host_port).second) << "tcp host port " << b.host_port << " given twice";
      }
    }
    tasks.push_back(t);
  }
  // The assigned ports really lead to the right task.
  Child s0 = testing::tcp_server(tasks[0].netns_path, "0.0.0.0", 81, "task zero");
  Child s3 = testing::tcp_server(tasks[3].netns_path, "0.0.0.0", 80, "task three");
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, tasks[0].bindings[1].host_port), "task zero");
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, tasks[3].bindings[0].host_port), "task three");
  // The range runs out with a clear error.
  std::vector<PortMapping> many(30, PortMapping{.container_port = 90});
  auto r = net_->setup(bridge_task("toomany-" + uniq_, many));
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "49153-49175")) << r.error().message;
}

TEST_F(NetTest, SameStaticPortTwiceFailsClearlyAndFirstTaskKeepsWorking) {
  auto& net = open();
  auto first = setup(bridge_task("first-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  Child s = testing::tcp_server(first.netns_path, "0.0.0.0", 80, "first");
  ASSERT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "first");
  auto veths_before = our_veths();

  std::string second_id = "second-" + uniq_;
  auto r = net.setup(bridge_task(second_id, {{.container_port = 8000, .host_port = 9000},
                                             {.container_port = 80, .host_port = 8080}}));
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "8080")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "first-" + uniq_)) << r.error().message;
  // While mapped, no host process can bind the port (ecsd holds it).
  EXPECT_FALSE(host_can_bind(8080));
  // Nothing of the second task exists.
  EXPECT_FALSE(fs::exists(cfg_.run_dir + "/netns/" + second_id));
  EXPECT_FALSE(fs::exists(cfg_.run_dir + "/files/" + second_id));
  EXPECT_EQ(our_veths(), veths_before);
  EXPECT_FALSE(contains(table_text(), "9000"));
  EXPECT_EQ(net.task_ids(), std::vector<std::string>{"first-" + uniq_});
  // The first task is untouched.
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "first");

  // A port a host process holds is refused too, and so is a host-mode task on the task's port.
  Child holder = testing::tcp_server("", "0.0.0.0", 8090, "holder");
  auto r2 = net.setup(bridge_task("third-" + uniq_, {{.container_port = 80, .host_port = 8090}}));
  ASSERT_FALSE(r2);
  EXPECT_TRUE(contains(r2.error().message, "8090")) << r2.error().message;
  TaskNetworkRequest hostreq;
  hostreq.id = "host-" + uniq_;
  hostreq.mode = Mode::host;
  hostreq.port_mappings = {{.container_port = 8080, .host_port = 8080}};
  auto r3 = net.setup(hostreq);
  ASSERT_FALSE(r3);
  EXPECT_TRUE(contains(r3.error().message, "8080")) << r3.error().message;
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "first");
}

TEST_F(NetTest, BridgeTasksAndHostReachTheAgentThroughTheMetadataAddress) {
  cfg_.agent_port = 51679;
  Child agent = testing::tcp_server("", "127.0.0.1", 51679, "agent answer");
  ASSERT_GT(agent.pid(), 0);
  open();
  auto t = setup(bridge_task("meta-" + uniq_));
  EXPECT_EQ(http_get(t.netns_path, "169.254.170.2", 80), "agent answer");
  EXPECT_EQ(http_get("", "169.254.170.2", 80), "agent answer");
  // Other hosts do not get the agent through the metadata address.
  sh("nsenter --net=" + client_.netns_path + " ip route add 169.254.170.2/32 via " + uplink_ip_);
  EXPECT_TRUE(http_get(client_.netns_path, "169.254.170.2", 80, 1000).rfind("ERR", 0) == 0);
}

TEST_F(NetTest, AgentPortsOnLocalhostAreBlockedFromOffHost) {
  Child agent = testing::tcp_server("", "127.0.0.1", 51679, "agent");
  Child other = testing::tcp_server("", "127.0.0.1", 51700, "not the agent");
  open();
  auto t = setup(bridge_task("sneaky-" + uniq_));
  // Make 127.0.0.1 reachable from the client host and the task by routing
  // (what route_localnet allows): on the host's uplink and in both senders.
  ASSERT_EQ(sh("sysctl -qw net.ipv4.conf." + client_.host_if + ".route_localnet=1"), 0);
  auto route_loopback_via = [&](const std::string& ns, const std::string& gw, const std::string& dev) {
    std::string in = "nsenter --net=" + ns + " ";
    EXPECT_EQ(sh(in + "sysctl -qw net.ipv4.conf." + dev + ".route_localnet=1"), 0);
    EXPECT_EQ(sh(in + "ip route add 127.0.0.1/32 via " + gw + " dev " + dev + " table 100"), 0);
    EXPECT_EQ(sh(in + "ip rule add pref 10 to 127.0.0.1 lookup 100"), 0);
    EXPECT_EQ(sh(in + "ip rule del pref 0"), 0);
    EXPECT_EQ(sh(in + "ip rule add pref 100 lookup local"), 0);
  };
  route_loopback_via(client_.netns_path, uplink_ip_, "eth0");
  route_loopback_via(t.netns_path, t.gateway, "eth0");
  // The path works (another localhost port answers) ...
  EXPECT_EQ(http_get(client_.netns_path, "127.0.0.1", 51700), "not the agent");
  EXPECT_EQ(http_get(t.netns_path, "127.0.0.1", 51700), "not the agent");
  // ... but the agent's ports do not.
  EXPECT_TRUE(http_get(client_.netns_path, "127.0.0.1", 51679, 1000).rfind("ERR", 0) == 0);
  EXPECT_TRUE(http_get(t.netns_path, "127.0.0.1", 51679, 1000).rfind("ERR", 0) == 0);
  // The host itself still reaches it.
  EXPECT_EQ(http_get("", "127.0.0.1", 51679), "agent");
}

TEST_F(NetTest, NoneModeHasOnlyLoopback) {
  auto& net = open();
  TaskNetworkRequest req;
  req.id = "none-" + uniq_;
  req.mode = Mode::none;
  auto t = setup(req);
  ASSERT_FALSE(t.netns_path.empty());
  EXPECT_EQ(testing::interfaces(t.netns_path), std::vector<std::string>{"lo"});
  EXPECT_TRUE(contains(sh_out("nsenter --net=" + t.netns_path + " ip -o link show lo"), "UP"));
  EXPECT_TRUE(t.ip.empty());
  EXPECT_TRUE(t.bindings.empty());
  Child s = testing::tcp_server(t.netns_path, "127.0.0.1", 80, "inside");
  EXPECT_EQ(http_get(t.netns_path, "127.0.0.1", 80), "inside");
  EXPECT_TRUE(http_get(t.netns_path, uplink_ip_, 80, 1000).rfind("ERR", 0) == 0);
  auto st = net.stats(req.id);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_GT(st->rx_packets, 0u);

  req.id = "none2-" + uniq_;
  req.port_mappings = {{.container_port = 80}};
  auto r = net.setup(req);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "none")) << r.error().message;
}

TEST_F(NetTest, HostModeSeesTheHostInterfacesAndChecksPorts) {
  auto& net = open();
  TaskNetworkRequest req;
  req.id = "hostnet-" + uniq_;
  req.mode = Mode::host;
  req.port_mappings = {{.container_port = 18080, .host_port = 18080}};
  auto t = setup(req);
  EXPECT_TRUE(t.netns_path.empty()) << "host mode joins no namespace";
  ASSERT_EQ(t.bindings.size(), 1u);
  EXPECT_EQ(t.bindings[0].host_port, 18080);
  auto ifs = testing::interfaces("");
  EXPECT_NE(std::find(ifs.begin(), ifs.end(), client_.host_if), ifs.end());
  EXPECT_NE(std::find(ifs.begin(), ifs.end(), cfg_.bridge_name), ifs.end());
  // A process of the task (in the host namespace) serves on the host port directly.
  Child s = testing::tcp_server("", "0.0.0.0", 18080, "host mode");
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 18080), "host mode");
  // The host's hosts file and name.
  EXPECT_TRUE(fs::exists(t.hosts_path));
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  EXPECT_EQ(t.hostname, std::string(name) + "\n");
  // The port is now taken for bridge tasks too.
  auto r = net.setup(bridge_task("br-" + uniq_, {{.container_port = 80, .host_port = 18080}}));
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "18080")) << r.error().message;
  auto st = net.stats(req.id);
  EXPECT_FALSE(st);
}

TEST_F(NetTest, BadRequestsAndASecondOwnerAreRefusedBeforeAnythingChanges) {
  auto& net = open();
  auto second = Network::open(cfg_);
  ASSERT_FALSE(second);
  EXPECT_TRUE(contains(second.error().message, "in use by another ecsd process")) << second.error().message;

  auto bad = [&](TaskNetworkRequest r, const std::string& want) {
    auto res = net.setup(r);
    ASSERT_FALSE(res) << r.id;
    EXPECT_TRUE(contains(res.error().message, want)) << res.error().message;
  };
  bad(bridge_task("../escape"), "");
  bad(bridge_task(""), "");
  auto r = bridge_task("ok-" + uniq_);
  r.hostname = "bad_host!";
  bad(r, "bad hostname");
  r = bridge_task("ok-" + uniq_);
  r.dns_servers = {"not-an-ip"};
  bad(r, "bad DNS server");
  r = bridge_task("ok-" + uniq_);
  r.extra_hosts = {{"db", "300.1.1.1"}};
  bad(r, "bad extra host");
  bad(bridge_task("ok-" + uniq_, {{.container_port = 0}}), "container port 0");
  bad(bridge_task("ok-" + uniq_, {{.container_port = 80, .host_port = 22}}), "reserved");
  bad(bridge_task("ok-" + uniq_, {{.container_port = 80, .host_port = 9000}, {.container_port = 81, .host_port = 9000}}),
      "mapped twice");
  EXPECT_TRUE(net.task_ids().empty());
  EXPECT_TRUE(our_veths().empty());
  EXPECT_TRUE(fs::is_empty(cfg_.run_dir + "/netns"));
  EXPECT_FALSE(contains(table_text(), "9000"));
  // A task id already set up is refused too.
  setup(bridge_task("dup-" + uniq_));
  bad(bridge_task("dup-" + uniq_), "already set up");
}

TEST_F(NetTest, AwsvpcIsRefusedClearly) {
  auto& net = open();
  TaskNetworkRequest req;
  req.id = "vpc-" + uniq_;
  req.mode = Mode::awsvpc;
  auto r = net.setup(req);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "awsvpc is not supported")) << r.error().message;
  EXPECT_TRUE(net.task_ids().empty());
  EXPECT_FALSE(fs::exists(cfg_.run_dir + "/netns/" + req.id));
}

TEST_F(NetTest, OutboundTrafficIsMasqueradedBehindTheHost) {
  open();
  auto t = setup(bridge_task("out-" + uniq_));
  Child peer = testing::peer_address_server(client_.netns_path, 7000);
  // The client host has no route to the task subnet: it only sees the host.
  EXPECT_EQ(testing::tcp_read(t.netns_path, client_ip_, 7000), uplink_ip_);
}

TEST_F(NetTest, ForwardingWorksWhenTheHostForwardPolicyIsDrop) { forward_drop_case("iptables-nft"); }
TEST_F(NetTest, ForwardingWorksWhenTheLegacyIptablesForwardPolicyIsDrop) { forward_drop_case("iptables-legacy"); }

TEST_F(NetTest, TeardownLeavesNoVethNamespaceAddressOrRule) {
  auto& net = open();
  auto a = setup(bridge_task("a-" + uniq_, {{.container_port = 80, .host_port = 8080},
                                            {.container_port = 53, .host_port = 5300, .protocol = Protocol::udp}}));
  auto b = setup(bridge_task("b-" + uniq_, {{.container_port = 80}}));
  TaskNetworkRequest n;
  n.id = "n-" + uniq_;
  n.mode = Mode::none;
  setup(n);
  EXPECT_EQ(our_veths().size(), 2u);
  EXPECT_TRUE(contains(table_text(), "8080"));
  EXPECT_TRUE(fs::exists(a.resolv_conf_path));

  for (const auto& id : net.task_ids()) EXPECT_TRUE(net.teardown(id)) << id;
  EXPECT_TRUE(net.task_ids().empty());
  EXPECT_TRUE(our_veths().empty());
  EXPECT_TRUE(fs::is_empty(cfg_.run_dir + "/netns"));
  EXPECT_TRUE(fs::is_empty(cfg_.run_dir + "/files"));
  std::string table = table_text();
  EXPECT_FALSE(contains(table, "8080")) << table;
  EXPECT_FALSE(contains(table, "5300")) << table;
  EXPECT_FALSE(contains(table, a.ip)) << table;
  EXPECT_FALSE(contains(table, b.ip)) << table;
  // Teardown of an unknown or already removed task is fine.
  EXPECT_TRUE(net.teardown(a.id));

  ASSERT_TRUE(net.remove_all());
  net_.reset();
  std::string links = sh_out("ip -o link show");
  EXPECT_FALSE(contains(links, cfg_.bridge_name)) << links;
  EXPECT_FALSE(contains(sh_out("nft list tables"), cfg_.nft_table));
  std::string addrs = sh_out("ip -o addr show");
  EXPECT_FALSE(contains(addrs, "10." + std::to_string(octet_) + ".0.")) << addrs;
}

TEST_F(NetTest, ConcurrentSetupsGetDistinctAddressesAndPorts) {
  auto& net = open();
  constexpr int kThreads = 4, kPerThread = 5;
  std::vector<std::vector<TaskNetwork>> got(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = net.setup(bridge_task("c" + std::to_string(t) + "-" + std::to_string(i) + "-" + uniq_,
                                       {{.container_port = 80}}));
        if (!r) {
          errors[t] = r.error().message;
          return;
        }
        got[t].push_back(*r);
      }
    });
  for (auto& th : threads) th.join();
  std::set<std::string> ips;
  std::set<uint16_t> ports;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "");
    for (const auto& tn : got[t]) {
      EXPECT_TRUE(ips.insert(tn.ip).second) << tn.ip;
      EXPECT_TRUE(ports.insert(tn.bindings.at(0).host_port).second);
    }
  }
  EXPECT_EQ(ips.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(our_veths().size(), size_t{kThreads * kPerThread});
  // Each one leads to its own task.
  const auto& a = got[0].back();
  const auto& b = got[kThreads - 1].front();
  Child sa = testing::tcp_server(a.netns_path, "0.0.0.0", 80, a.id);
  Child sb = testing::tcp_server(b.netns_path, "0.0.0.0", 80, b.id);
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, a.bindings[0].host_port), a.id);
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, b.bindings[0].host_port), b.id);
  // Concurrent teardown.
  threads.clear();
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (const auto& tn : got[t])
        if (auto st = net.teardown(tn.id); !st) errors[t] = st.error().message;
    });
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_TRUE(net.task_ids().empty());
  EXPECT_TRUE(our_veths().empty());
}

TEST_F(NetTest, TeardownCompletesWhileATaskProcessStillHoldsTheNamespace) {
  auto& net = open();
  auto t = setup(bridge_task("stuck-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  Child s = testing::tcp_server(t.netns_path, "0.0.0.0", 80, "still here");
  ASSERT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "still here");
  ASSERT_TRUE(net.teardown(t.id));
  EXPECT_TRUE(our_veths().empty());
  EXPECT_FALSE(fs::exists(t.netns_path));
  EXPECT_FALSE(contains(table_text(), "8080"));
  EXPECT_TRUE(http_get(client_.netns_path, uplink_ip_, 8080, 1000).rfind("ERR", 0) == 0);
  // The address and port are free again and work for a new task.
  EXPECT_TRUE(host_can_bind(8080));
  auto again = setup(bridge_task("next-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  Child s2 = testing::tcp_server(again.netns_path, "0.0.0.0", 80, "new task");
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "new task");
}

TEST_F(NetTest, RecoveryAfterACrashKeepsLiveTasksAndRemovesTheRest) {
  // A child process plays the agent: sets up three tasks and dies abruptly.
  pid_t pid = ::fork();
  if (pid == 0) {
    auto n = Network::open(cfg_);
    if (!n) ::_exit(10);
    for (const char* id : {"keep", "gone", "gone2"}) {
      std::string tid = std::string(id) + "-" + uniq_;
      uint16_t hp = std::string(id) == "keep" ? 8080 : (std::string(id) == "gone" ? 8081 : 0);
      auto r = (*n)->setup(bridge_task(tid, {{.container_port = 80, .host_port = hp}}));
      if (!r) ::_exit(11);
    }
    ::kill(::getpid(), SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "agent child exited with " << WEXITSTATUS(status);
  // Everything was left behind.
  EXPECT_EQ(our_veths().size(), 3u);
  EXPECT_TRUE(fs::exists(cfg_.run_dir + "/netns/gone-" + uniq_));
  // Plus an orphan namespace and veth no record knows (a crash between steps).
  {
    std::string orphan = cfg_.run_dir + "/netns/orphan-" + uniq_;
    ASSERT_EQ(sh("touch " + orphan + " && unshare --net=" + orphan + " true"), 0);
    ASSERT_EQ(sh("ip link add " + cfg_.veth_prefix + "deadbeef type veth peer name vtpeer" + uniq_), 0);
    ASSERT_EQ(sh("ip link set " + cfg_.veth_prefix + "deadbeef master " + cfg_.bridge_name), 0);
  }

  auto& net = open();
  std::string keep = "keep-" + uniq_;
  auto rep = net.recover({keep});
  for (const auto& e : rep.errors) ADD_FAILURE() << e.message;
  EXPECT_EQ(rep.kept, std::vector<std::string>{keep});
  EXPECT_EQ(net.task_ids(), std::vector<std::string>{keep});
  auto kept = net.lookup(keep);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(our_veths(), std::vector<std::string>{kept->host_veth});
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(cfg_.run_dir + "/netns")) files.push_back(e.path().filename());
  EXPECT_EQ(files, std::vector<std::string>{keep});
  std::string table = table_text();
  EXPECT_TRUE(contains(table, "8080")) << table;
  EXPECT_FALSE(contains(table, "8081")) << table;
  // The kept task still works, and its port and address stay taken.
  Child s = testing::tcp_server(kept->netns_path, "0.0.0.0", 80, "survivor");
  EXPECT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), "survivor");
  auto clash = net.setup(bridge_task("new-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  EXPECT_FALSE(clash);
  auto fresh = setup(bridge_task("new2-" + uniq_, {{.container_port = 80, .host_port = 8081}}));
  EXPECT_NE(fresh.ip, kept->ip);

  // A second crash, then recovery with nothing to keep: nothing remains.
  net_.reset();
  auto& again = open();
  auto rep2 = again.recover({});
  EXPECT_TRUE(rep2.errors.empty());
  EXPECT_TRUE(again.task_ids().empty());
  EXPECT_TRUE(our_veths().empty());
  EXPECT_TRUE(fs::is_empty(cfg_.run_dir + "/netns"));
  EXPECT_FALSE(contains(table_text(), "8080"));
}

TEST_F(NetTest, RecoveryDropsKeptTasksWhoseVethOrNamespaceIsGone) {
  open();
  auto x = setup(bridge_task("x-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  auto y = setup(bridge_task("y-" + uniq_, {{.container_port = 80, .host_port = 8081}}));
  auto z = setup(bridge_task("z-" + uniq_, {{.container_port = 80, .host_port = 8082}}));
  net_.reset();  // the agent stops; meanwhile x loses its veth, y its namespace mount
  ASSERT_EQ(sh("ip link del " + x.host_veth), 0);
  ASSERT_EQ(sh("umount " + y.netns_path), 0);
  ASSERT_TRUE(fs::exists(y.netns_path));  // the file is left, but it is no namespace now
  auto& net = open();
  auto rep = net.recover({x.id, y.id, z.id});
  for (const auto& e : rep.errors) ADD_FAILURE() << e.message;
  EXPECT_EQ(rep.kept, std::vector<std::string>{z.id});
  EXPECT_NE(std::find(rep.removed.begin(), rep.removed.end(), x.id), rep.removed.end());
  EXPECT_NE(std::find(rep.removed.begin(), rep.removed.end(), y.id), rep.removed.end());
  EXPECT_EQ(net.task_ids(), std::vector<std::string>{z.id});
  EXPECT_EQ(our_veths(), std::vector<std::string>{z.host_veth});
  EXPECT_FALSE(fs::exists(y.netns_path));
  std::string table = table_text();
  EXPECT_FALSE(contains(table, "8080")) << table;
  EXPECT_FALSE(contains(table, "8081")) << table;
  EXPECT_TRUE(contains(table, "8082")) << table;
}

TEST_F(NetTest, AddressesAndPortsPersistAcrossRestart) {
  open();
  auto a = setup(bridge_task("a-" + uniq_, {{.container_port = 80}}));
  net_.reset();  // agent restart without teardown
  auto& net = open();
  auto rep = net.recover({a.id});
  EXPECT_EQ(rep.kept, std::vector<std::string>{a.id});
  auto again = net.lookup(a.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ip, a.ip);
  EXPECT_EQ(again->bindings, a.bindings);
  EXPECT_EQ(again->netns_path, a.netns_path);
  EXPECT_EQ(again->resolv_conf, a.resolv_conf);
  EXPECT_EQ(net.subnet(), cfg_.subnet);
  std::set<std::string> ips{a.ip};
  std::set<uint16_t> ports{a.bindings[0].host_port};
  for (int i = 0; i < 5; ++i) {
    auto t = setup(bridge_task("t" + std::to_string(i) + "-" + uniq_, {{.container_port = 80}}));
    EXPECT_TRUE(ips.insert(t.ip).second) << t.ip << " handed out twice";
    EXPECT_TRUE(ports.insert(t.bindings[0].host_port).second);
  }
}

TEST_F(NetTest, SubnetClashWithHostRoutesIsRefusedAndAutoPickAvoidsIt) {
  std::string dummy = "dm" + uniq_;
  ASSERT_EQ(sh("ip link add " + dummy + " type veth peer name " + dummy + "p && ip addr add 172.17.0.1/16 dev " + dummy +
               " && ip addr add 10.200.0.1/16 dev " + dummy + " && ip link set " + dummy + " up"), 0);
  cfg_.subnet = "10.200.5.0/24";
  auto n = Network::open(cfg_);
  ASSERT_FALSE(n);
  EXPECT_TRUE(contains(n.error().message, "overlaps the host route 10.200.0.0/16")) << n.error().message;
  EXPECT_FALSE(contains(sh_out("ip -o link show"), cfg_.bridge_name)) << "nothing is set up on a clash";

  cfg_.subnet.clear();
  auto& net = open();
  EXPECT_EQ(net.subnet(), "172.18.0.0/16");
  EXPECT_EQ(net.gateway(), "172.18.0.1");
  net_->remove_all();
  net_.reset();
  sh("ip link del " + dummy);
}

class NetMtuTest : public NetTest {
 protected:
  void SetUp() override {
    uplink_mtu_ = 1400;
    NetTest::SetUp();
  }
};

TEST_F(NetMtuTest, MtuComesFromTheDefaultRouteInterface) {
  open();
  auto t = setup(bridge_task("mtu-" + uniq_));
  EXPECT_EQ(t.mtu, 1400u);
  EXPECT_TRUE(contains(sh_out("ip -o link show " + cfg_.bridge_name), "mtu 1400"));
  EXPECT_TRUE(contains(sh_out("ip -o link show " + t.host_veth), "mtu 1400"));
  EXPECT_TRUE(contains(sh_out("nsenter --net=" + t.netns_path + " ip -o link show eth0"), "mtu 1400"));
}

TEST_F(NetTest, InterfaceStatisticsCountTraffic) {
  auto& net = open();
  auto t = setup(bridge_task("stats-" + uniq_, {{.container_port = 80, .host_port = 8080}}));
  auto before = net.stats(t.id);
  ASSERT_TRUE(before) << before.error().message;
  std::string body(20000, 'x');
  Child s = testing::tcp_server(t.netns_path, "0.0.0.0", 80, body);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(http_get(client_.netns_path, uplink_ip_, 8080), body);
  auto after = net.stats(t.id);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_GE(after->tx_bytes - before->tx_bytes, 3u * body.size());
  EXPECT_GT(after->rx_bytes, before->rx_bytes);
  EXPECT_GT(after->tx_packets, before->tx_packets + 3);
  EXPECT_GT(after->rx_packets, before->rx_packets + 3);
  // The same counters the kernel shows for eth0 inside the task (`ip -s`),
  // read between two of ours (neighbour probes may add packets meanwhile).
  std::string shown = sh_out("nsenter --net=" + t.netns_path + " ip -s -j link show eth0");
  auto later = net.stats(t.id);
  ASSERT_TRUE(later);
  auto field = [&](const std::string& dir, const std::string& name) -> uint64_t {
    auto p = shown.find("\"" + dir + "\":{");
    if (p == std::string::npos) return 0;
    p = shown.find("\"" + name + "\":", p);
    return p == std::string::npos ? 0 : std::stoull(shown.substr(p + name.size() + 3));
  };
  uint64_t ip_tx_packets = field("tx", "packets"), ip_rx_bytes = field("rx", "bytes");
  EXPECT_GE(ip_tx_packets, after->tx_packets) << shown;
  EXPECT_LE(ip_tx_packets, later->tx_packets) << shown;
  EXPECT_GE(ip_rx_bytes, after->rx_bytes) << shown;
  EXPECT_LE(ip_rx_bytes, later->rx_bytes) << shown;
}

TEST_F(NetTest, DnsFilesForBridgeTasks) {
  write_text(dir_ + "/host-resolv.conf", "nameserver 127.0.0.53\noptions edns0\n");
  write_text(dir_ + "/upstream-resolv.conf", "nameserver 10.0.0.2\nsearch ec2.internal\n");
  cfg_.host_resolv_conf = dir_ + "/host-resolv.conf";
  cfg_.host_resolv_conf_fallback = dir_ + "/upstream-resolv.conf";
  open();
  auto t = setup(bridge_task("dns-" + uniq_));
  std::ifstream f(t.resolv_conf_path);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), t.resolv_conf);
  EXPECT_TRUE(contains(t.resolv_conf, "nameserver 10.0.0.2")) << t.resolv_conf;
  EXPECT_FALSE(contains(t.resolv_conf, "127.0.0.53")) << t.resolv_conf;
  EXPECT_TRUE(contains(t.hosts, t.ip + "\tdns-" + uniq_)) << t.hosts;
  EXPECT_EQ(t.hostname, "dns-" + uniq_ + "\n");

  TaskNetworkRequest req = bridge_task("dns2-" + uniq_);
  req.dns_servers = {"1.1.1.1"};
  req.dns_search = {"corp.example"};
  req.extra_hosts = {{"db.local", "10.1.2.3"}};
  req.hostname = "web1";
  auto t2 = setup(req);
  EXPECT_TRUE(contains(t2.resolv_conf, "nameserver 1.1.1.1")) << t2.resolv_conf;
  EXPECT_TRUE(contains(t2.resolv_conf, "search corp.example")) << t2.resolv_conf;
  EXPECT_FALSE(contains(t2.resolv_conf, "10.0.0.2")) << t2.resolv_conf;
  EXPECT_TRUE(contains(t2.hosts, "10.1.2.3\tdb.local")) << t2.hosts;
  EXPECT_TRUE(contains(t2.hosts, t2.ip + "\tweb1")) << t2.hosts;
  EXPECT_EQ(t2.hostname, "web1\n");
}

}  // namespace
}  // namespace ecsd::netns

