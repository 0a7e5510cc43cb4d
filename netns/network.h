// Task networking: a host bridge with per-task network namespaces (bridge
// mode), the host's namespace (host mode) or loopback only (none mode), port
// mappings by DNAT, the link-local metadata address forwarded to a local
// endpoint, and the per-task resolv.conf / hosts / hostname files.
//
// One Network object owns one bridge, one nftables table and one state
// directory (it holds an flock on it for its whole life). Its methods are
// thread-safe. See docs/networking.md for the design.
//
// Use (the agent's task engine):
//   auto net = Network::open(cfg);               // once per process
//   auto tn = net->setup({.id = task_id, .mode = Mode::bridge,
//                         .port_mappings = {{.container_port = 80}}});
//   // tn->netns_path   -> OCI linux.namespaces {"type": "network", "path": ...}
//   //                     (empty in host mode: do not create a network namespace)
//   // tn->bindings     -> the task's networkBindings
//   // tn->resolv_conf_path / hosts_path / hostname_path -> bind-mount read-only
//   //                     on /etc/resolv.conf, /etc/hosts, /etc/hostname
//   net->stats(task_id);                          // metrics
//   net->teardown(task_id);                       // after the task's containers stopped
//   net->recover(ids_of_tasks_still_running);     // once, after an agent restart
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "netns/ports.h"
#include "netns/state.h"

namespace ecsd::netns {

class Nft;

enum class Mode { bridge, host, none, awsvpc };
const char* mode_name(Mode m);
Result<Mode> parse_mode(std::string_view s);  // "bridge" | "host" | "none" | "awsvpc"

struct HostEntry {
  std::string hostname;
  std::string ip;
};

struct TaskNetworkRequest {
  std::string id;  // [A-Za-z0-9_.-], 1..128 chars; names the netns and state record
  Mode mode = Mode::bridge;
  std::vector<PortMapping> port_mappings;
  std::vector<std::string> dns_servers;  // empty: the host's (localhost resolvers removed)
  std::vector<std::string> dns_search;   // empty: the host's
  std::vector<HostEntry> extra_hosts;
  std::string hostname;  // empty: the id (bridge/none) or the host's name (host)
};

struct TaskNetwork {
  std::string id;
  Mode mode = Mode::bridge;
  std::string netns_path;  // bind-mounted namespace; empty in host mode
  std::string ip;          // bridge mode: the task's address; else empty
  std::string gateway;     // bridge mode: the bridge address
  int prefix_len = 0;
  std::string interface_name;  // "eth0" in bridge mode
  std::string host_veth;       // bridge mode: host end of the veth
  uint32_t mtu = 0;
  std::vector<PortBinding> bindings;
  // Rendered files; also written under <run_dir>/files/<id>/ (the paths).
  std::string resolv_conf, hosts, hostname;
  std::string resolv_conf_path, hosts_path, hostname_path;
};

struct InterfaceStats {
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

struct NetworkConfig {
  std::string bridge_name = "ecs-br0";
  std::string subnet;  // "a.b.c.d/n"; empty: the persisted one, else the first
                       // of 172.17.0.0/16 .. 172.31.0.0/16 no host route overlaps
  std::string state_dir = "/var/lib/ecsd/network";
  std::string run_dir = "/run/ecsd";  // netns in run_dir/netns, files in run_dir/files
  std::string nft_table = "ecsd";     // nftables table (family ip) owned by ecsd
  std::string veth_prefix = "vecsd";  // host veth = prefix + 8 hex digits (<= 15 chars)
  PortRange dynamic_ports{49153, 65535};
  std::vector<uint16_t> reserved_ports{22, 2375, 2376, 51678, 51679};  // tcp host ports never handed out
  std::vector<uint16_t> reserved_ports_udp;                            // udp host ports never handed out
  // 169.254.170.2:80 (tcp) is DNATed to agent_ip:agent_port for bridge tasks,
  // and for the host itself when agent_endpoint_from_host.
  std::string metadata_ip = "169.254.170.2";
  uint16_t metadata_port = 80;
  std::string agent_ip = "127.0.0.1";
  uint16_t agent_port = 51679;
  bool agent_endpoint_from_host = true;
  // Localhost ports that other hosts must not reach even with route_localnet
  // on the bridge (the Go agent's localhost traffic filter).
  std::vector<uint16_t> agent_local_ports{51678, 51679};
  // When the host's iptables FORWARD chain has policy DROP (Docker hosts),
  // insert ACCEPT rules for the bridge there (see netns/host_forward.h); the
  // only rules ecsd writes outside its own table. false: leave it to the admin.
  bool host_forward_accept = true;
  bool enable_ip_forward = true;  // net.ipv4.ip_forward=1 (needed for off-host port mappings)
  uint32_t mtu = 0;               // 0: MTU of the default-route interface (1500 without one)
  std::string host_resolv_conf = "/etc/resolv.conf";
  std::string host_resolv_conf_fallback = "/run/systemd/resolve/resolv.conf";
  std::string host_hosts = "/etc/hosts";
};

struct RecoverReport {
  std::vector<std::string> kept;     // tasks still set up
  std::vector<std::string> removed;  // tasks (or orphan objects) torn down
  std::vector<Error> errors;         // what could not be removed
};

class Network {
 public:
  // Takes the state lock, creates or adopts the bridge (address, MTU, up,
  // forwarding, route_localnet), and (re)writes the nftables table from the
  // persisted state. Idempotent across restarts.
  static Result<std::unique_ptr<Network>> open(NetworkConfig cfg);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Checks everything (id, mode, ports, conflicts) before changing anything;
  // on a later failure undoes what it did.
  Result<TaskNetwork> setup(const TaskNetworkRequest& req);
  // Removes everything of the task; keeps going past errors, then reports
  // them. Unknown ids are fine (nothing to do).
  Status teardown(const std::string& id);
  // After a restart: keep the tasks in `keep` (if still present), tear down
  // every other recorded task, and remove orphans (netns files, veths with our
  // prefix, map elements) that no kept task owns.
  RecoverReport recover(const std::vector<std::string>& keep);
  // Counters of the task's interface (eth0 inside its namespace).
  Result<InterfaceStats> stats(const std::string& id);
  // The recorded network of a task (after a restart, for kept tasks).
  Result<TaskNetwork> lookup(const std::string& id);
  std::vector<std::string> task_ids();
  // Tear down every task, delete the bridge and the nftables table. For
  // uninstall and tests; the state directory is left (empty of tasks).
  Status remove_all();

  const NetworkConfig& config() const { return cfg_; }
  std::string subnet() const;
  std::string gateway() const;

 private:
  explicit Network(NetworkConfig cfg);
  Status init();
  Status save_locked();
  Status apply_table_locked();
  Status host_forward_locked();
  Status hold_ports_locked(const TaskRecord& rec);
  void release_ports_locked(const TaskRecord& rec);
  void teardown_locked(const std::string& id, std::vector<Error>& errors);
  std::string teardown_begin_locked(const std::string& id, std::optional<TaskRecord>& rec,
                                    std::vector<Error>& errors);
  void teardown_objects(const std::string& id, const std::string& veth, std::vector<Error>& errors);
  void teardown_end_locked(const std::string& id, const std::optional<TaskRecord>& rec,
                           std::vector<Error>& errors);
  Status setup_namespace(const TaskRecord& rec);
  Status write_files(const TaskNetworkRequest& req, const TaskRecord& rec, TaskNetwork& out);
  TaskNetwork describe(const TaskRecord& rec) const;
  std::string netns_path(const std::string& id) const;
  std::string files_dir(const std::string& id) const;

  NetworkConfig cfg_;
  std::mutex mu_;   // guards state_ and the nftables context
  State state_;
  int lock_fd_ = -1;
  int bridge_index_ = 0;
  uint32_t mtu_ = 1500;
  bool host_forward_done_ = false;
  // Bound sockets on the host ports of bridge tasks (see hold_host_port).
  std::map<std::pair<Protocol, uint16_t>, UniqueFd> holders_;  // accept rules are in a DROP-policy FORWARD chain
  uint32_t subnet_net_ = 0;
  int subnet_prefix_ = 0;
  std::unique_ptr<Nft> nft_;
};

}  // namespace ecsd::netns
