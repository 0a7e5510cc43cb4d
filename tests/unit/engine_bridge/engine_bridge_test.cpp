// Bridge-mode pieces of the engine that need no root: host-port accounting of
// bridge tasks and the ECS port variables mapped onto netns::NetworkConfig.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "agent/config/config.h"
#include "agent/engine/host_resources.h"
#include "agent/engine/task_network.h"

using namespace ecsd::engine;
using namespace ecsd::task;

namespace {

PortMapping mapping(int64_t container, std::optional<int64_t> host, std::string proto = "tcp",
                    std::string range = "") {
  PortMapping p;
  p.container_port = container;
  p.host_port = host;
  p.protocol = std::move(proto);
  p.container_port_range = std::move(range);
  return p;
}

Task bridge_task(std::vector<PortMapping> maps) {
  Task t;  // networkMode absent: bridge
  ContainerModel c;
  c.name = "web";
  c.port_mappings = std::move(maps);
  t.containers = {c};
  return t;
}

struct EnvGuard {
  std::vector<std::string> names;
  void set(const std::string& k, const std::string& v) {
    names.push_back(k);
    ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~EnvGuard() {
    for (const auto& n : names) ::unsetenv(n.c_str());
  }
};

}  // namespace

TEST(EngineBridgeUnit, BridgeIsTheDefaultNetworkMode) { EXPECT_EQ(Task{}.network_mode, NetworkMode::bridge); }

TEST(EngineBridgeUnit, OnlyStaticHostPortsOfBridgeTasksAreAccounted) {
  auto n = task_need(bridge_task({mapping(80, 8080), mapping(53, 5353, "udp"), mapping(81, std::nullopt),
                                  mapping(82, 0), mapping(0, std::nullopt, "tcp", "9000-9010")}));
  EXPECT_EQ(n.ports, (std::set<std::pair<int, std::string>>{{8080, "tcp"}, {5353, "udp"}}));
}

TEST(EngineBridgeUnit, StaticPortConflictsWithHostModeAndReservedPorts) {
  auto bridge = task_need(bridge_task({mapping(80, 8080)}));
  Task host = bridge_task({mapping(8080, std::nullopt)});
  host.network_mode = NetworkMode::host;
  HostCapacity cap;
  cap.cpu = 1024;
  cap.memory_mib = 1024;
  cap.reserved_ports = {{22, "tcp"}};
  // A host-mode task on 8080 and a bridge task publishing 8080 exclude each other.
  EXPECT_FALSE(fits_now(task_need(host), bridge, cap));
  EXPECT_FALSE(fits_now(bridge, task_need(host), cap));
  auto r = fits_capacity(task_need(bridge_task({mapping(80, 22)})), cap);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("22/tcp is reserved"), std::string::npos) << r.error().message;
  // Dynamic ports never conflict in the accounting (netns picks free ones).
  EXPECT_TRUE(fits_now(task_need(bridge_task({mapping(80, std::nullopt)})), bridge, cap));
}

TEST(EngineBridgeUnit, ReservedUdpPortsFromTheEnvironment) {
  EnvGuard env;
  env.set("ECS_RESERVED_PORTS_UDP", "[5353, 161]");
  auto cap = detect_host_capacity();
  EXPECT_TRUE(cap.reserved_ports.count({5353, "udp"}));
  EXPECT_TRUE(cap.reserved_ports.count({161, "udp"}));
  EXPECT_FALSE(cap.reserved_ports.count({5353, "tcp"}));
}

TEST(EngineBridgeUnit, NetworkDefaultsWithoutConfiguration) {
  for (const char* v : {"ECS_RESERVED_PORTS", "ECS_RESERVED_PORTS_UDP", "ECS_DYNAMIC_HOST_PORT_RANGE"}) ::unsetenv(v);
  ecsd::netns::NetworkConfig net;
  ASSERT_TRUE(apply_network_env(net));
  EXPECT_EQ(net.bridge_name, "ecs-br0");
  EXPECT_EQ(net.dynamic_ports.first, 49153);
  EXPECT_EQ(net.dynamic_ports.last, 65535);
  EXPECT_EQ(net.reserved_ports, (std::vector<uint16_t>{22, 2375, 2376, 51678, 51679}));
}

TEST(EngineBridgeUnit, EcsPortVariablesShapeTheNetwork) {
  EnvGuard env;
  env.set("ECS_RESERVED_PORTS", "[22, 8000]");
  env.set("ECS_RESERVED_PORTS_UDP", "[53]");
  env.set("ECS_DYNAMIC_HOST_PORT_RANGE", "30000-30100");
  ecsd::netns::NetworkConfig net;
  ASSERT_TRUE(apply_network_env(net));
  EXPECT_EQ(net.reserved_ports, (std::vector<uint16_t>{22, 8000}));
  EXPECT_EQ(net.reserved_ports_udp, (std::vector<uint16_t>{53}));
  EXPECT_EQ(net.dynamic_ports.first, 30000);
  EXPECT_EQ(net.dynamic_ports.last, 30100);
}

TEST(EngineBridgeUnit, BadPortVariableNamesTheVariable) {
  EnvGuard env;
  env.set("ECS_DYNAMIC_HOST_PORT_RANGE", "60000-50000");
  ecsd::netns::NetworkConfig net;
  auto r = apply_network_env(net);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ECS_DYNAMIC_HOST_PORT_RANGE"), std::string::npos) << r.error().message;
  env.set("ECS_DYNAMIC_HOST_PORT_RANGE", "40000-40010");
  env.set("ECS_RESERVED_PORTS", "[22, nope]");
  r = apply_network_env(net);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ECS_RESERVED_PORTS"), std::string::npos) << r.error().message;
}

TEST(EngineBridgeUnit, NetworkStateFromAnEarlierRun) {
  char d[] = "/tmp/ecsd-bridge-unit-XXXXXX";
  ASSERT_NE(::mkdtemp(d), nullptr);
  ecsd::netns::NetworkConfig net;
  net.state_dir = d;
  EXPECT_FALSE(network_state_exists(net));
  std::ofstream(std::string(d) + "/state") << "";
  EXPECT_TRUE(network_state_exists(net));
  ::unlink((std::string(d) + "/state").c_str());
  ::rmdir(d);
}

TEST(EngineBridgeUnit, AgentConfigKnowsTheDynamicPortRange) {
  ecsd::config::LoadOptions o;
  o.file_path = "";
  o.env = std::map<std::string, std::string>{};
  auto l = ecsd::config::load(o);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->config.dynamic_host_port_first, 49153);
  EXPECT_EQ(l->config.dynamic_host_port_last, 65535);
  o.env = std::map<std::string, std::string>{{"ECS_DYNAMIC_HOST_PORT_RANGE", "32768-60999"}};
  l = ecsd::config::load(o);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->config.dynamic_host_port_first, 32768);
  EXPECT_EQ(l->config.dynamic_host_port_last, 60999);
  for (const char* bad : {"70000-80000", "500-400", "1000", "a-b"}) {
    o.env = std::map<std::string, std::string>{{"ECS_DYNAMIC_HOST_PORT_RANGE", bad}};
    l = ecsd::config::load(o);
    ASSERT_FALSE(l) << bad;
    EXPECT_NE(l.error().message.find("ECS_DYNAMIC_HOST_PORT_RANGE"), std::string::npos) << l.error().message;
  }
}
