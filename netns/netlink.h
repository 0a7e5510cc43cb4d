// A small rtnetlink client over a raw NETLINK_ROUTE socket: the link,
// address and route operations task networking needs, with no helper process.
// A socket belongs to the network namespace it was opened in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::netns {

struct LinkInfo {
  int index = 0;
  std::string name;
  int master = 0;  // index of the bridge it is enslaved to, 0 if none
  uint32_t mtu = 0;
  bool up = false;
  std::string kind;  // "bridge", "veth", ... ("" if the kernel did not say)
};

struct RouteInfo {
  uint32_t dst = 0;  // host order
  int dst_len = 0;
  int oif = 0;
  uint32_t table = 0;
};

struct LinkCounters {
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

class Netlink {
 public:
  // A socket in the calling thread's network namespace.
  static Result<Netlink> open();
  // A socket in the namespace of netns_fd (the calling thread's own namespace
  // is unchanged afterwards).
  static Result<Netlink> open_in(int netns_fd);

  Result<int> link_index(const std::string& name);  // errors with ENODEV when absent
  Result<LinkInfo> link(int index);
  Result<std::vector<LinkInfo>> links();
  Result<std::vector<RouteInfo>> routes_v4();  // main table
  Result<LinkCounters> counters(int index);
  Result<std::vector<std::pair<uint32_t, int>>> addresses_v4(int index);  // (addr, prefix)

  Status create_bridge(const std::string& name, uint32_t mtu);
  // veth pair: `name` here (MTU, enslaved to master_index if non-zero),
  // `peer` created directly inside peer_netns_fd.
  Status create_veth(const std::string& name, const std::string& peer, int peer_netns_fd, uint32_t mtu,
                     int master_index);
  Status set_up(int index, const std::string& what);
  Status set_mtu(int index, uint32_t mtu, const std::string& what);
  // Bridge port hairpin mode (frames may leave by the port they came in on),
  // as `bridge link set dev X hairpin on` does.
  Status set_hairpin(int index, bool on, const std::string& what);
  Status add_address(int index, uint32_t addr, int prefix, const std::string& what);  // EEXIST is fine
  Status add_default_route(int index, uint32_t gateway);
  Status delete_link(const std::string& name);  // errors with ENODEV when absent

 private:
  explicit Netlink(UniqueFd fd) : fd_(std::move(fd)) {}
  Status transact(std::vector<char>& msg, const std::string& what);
  Result<std::vector<std::vector<char>>> dump(std::vector<char>& msg, const std::string& what);

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace ecsd::netns
