#include "netns/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ecsd::netns {

namespace {

// Builds one netlink message in a byte vector.
class Msg {
 public:
  Msg(uint16_t type, uint16_t flags) : b_(NLMSG_HDRLEN, 0) {
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  }
  template <typename T>
  T* put(const T& v) {
    size_t off = b_.size();
    b_.resize(off + NLMSG_ALIGN(sizeof(T)), 0);
    std::memcpy(b_.data() + off, &v, sizeof(T));
    return reinterpret_cast<T*>(b_.data() + off);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    size_t off = b_.size();
    b_.resize(off + RTA_ALIGN(RTA_LENGTH(len)), 0);
    auto* rta = reinterpret_cast<rtattr*>(b_.data() + off);
    rta->rta_type = type;
    rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    if (len) std::memcpy(RTA_DATA(rta), data, len);
  }
  void attr_str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  size_t nest_begin(uint16_t type) {
    size_t off = b_.size();
    attr(static_cast<uint16_t>(type | NLA_F_NESTED), nullptr, 0);
    return off;
  }
  void nest_end(size_t off) {
    reinterpret_cast<rtattr*>(b_.data() + off)->rta_len = static_cast<unsigned short>(b_.size() - off);
  }
  std::vector<char>& finish() {
    hdr()->nlmsg_len = static_cast<uint32_t>(b_.size());
    return b_;
  }

 private:
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(b_.data()); }
  std::vector<char> b_;
};

// Iterates the rtattrs in [data, data+len).
template <typename F>
void for_attrs(const void* data, size_t len, F&& f) {
  const auto* rta = static_cast<const rtattr*>(data);
  int left = static_cast<int>(len);
  for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left)) f(rta);
}

std::string ext_ack_message(const nlmsghdr* h) {
  // NLMSGERR_ATTR_MSG follows the (possibly capped) original request.
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
  size_t off = sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(nlmsghdr);
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || NLMSG_HDRLEN + off > h->nlmsg_len) return {};
  std::string out;
  for_attrs(reinterpret_cast<const char*>(NLMSG_DATA(h)) + off, h->nlmsg_len - NLMSG_HDRLEN - off,
            [&](const rtattr* a) {
              if (a->rta_type == NLMSGERR_ATTR_MSG) out = static_cast<const char*>(RTA_DATA(a));
            });
  return out;
}

Error nl_error(int code, const std::string& what, const nlmsghdr* h) {
  Error e = Error::sys(code, what);
  if (h) {
    std::string m = ext_ack_message(h);
    if (!m.empty()) e.message += " (" + m + ")";
  }
  return e;
}

LinkInfo parse_link(const nlmsghdr* h, LinkCounters* counters = nullptr) {
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
  LinkInfo li;
  li.index = ifi->ifi_index;
  li.up = (ifi->ifi_flags & IFF_UP) != 0;
  for_attrs(IFLA_RTA(ifi), IFLA_PAYLOAD(h), [&](const rtattr* a) {
    switch (a->rta_type) {
      case IFLA_IFNAME: li.name = static_cast<const char*>(RTA_DATA(a)); break;
      case IFLA_MASTER: li.master = static_cast<int>(*static_cast<const uint32_t*>(RTA_DATA(a))); break;
      case IFLA_MTU: li.mtu = *static_cast<const uint32_t*>(RTA_DATA(a)); break;
      case IFLA_LINKINFO:
        for_attrs(RTA_DATA(a), RTA_PAYLOAD(a), [&](const rtattr* b) {
          if (b->rta_type == IFLA_INFO_KIND) li.kind = static_cast<const char*>(RTA_DATA(b));
        });
        break;
      case IFLA_STATS64:
        if (counters && RTA_PAYLOAD(a) >= sizeof(rtnl_link_stats64)) {
          rtnl_link_stats64 s;
          std::memcpy(&s, RTA_DATA(a), sizeof s);
          *counters = {s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped,
                       s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped};
        }
        break;
      default: break;
    }
  });
  return li;
}

}  // namespace

Result<Netlink> Netlink::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return fail_sys(errno, "open rtnetlink socket");
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return fail_sys(errno, "bind rtnetlink socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return Netlink(std::move(fd));
}

Result<Netlink> Netlink::open_in(int netns_fd) {
  UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self) return fail_sys(errno, "open", "/proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return fail_sys(errno, "enter network namespace");
  auto nl = open();
  if (::setns(self.get(), CLONE_NEWNET) != 0) {
    // The thread would keep working in the task's namespace: never go on.
    std::fprintf(stderr, "ecsd netns: cannot return to the original network namespace: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  return nl;
}

Status Netlink::transact(std::vector<char>& msg, const std::string& what) {
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_flags |= NLM_F_ACK;
  h->nlmsg_seq = ++seq_;
  if (::send(fd_.get(), msg.data(), msg.size(), 0) < 0) return fail_sys(errno, what + ": netlink send");
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys(errno, what + ": netlink recv");
    }
    int left = static_cast<int>(n);
    for (auto* r = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(r, left); r = NLMSG_NEXT(r, left)) {
      if (r->nlmsg_seq != seq_) continue;
      if (r->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(r));
        if (e->error == 0) return {};
        return std::unexpected(nl_error(-e->error, what, r));
      }
    }
  }
}

Result<std::vector<std::vector<char>>> Netlink::dump(std::vector<char>& msg, const std::string& what) {
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_seq = ++seq_;
  if (::send(fd_.get(), msg.data(), msg.size(), 0) < 0) return fail_sys(errno, what + ": netlink send");
  std::vector<std::vector<char>> out;
  const bool is_dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  std::vector<char> buf(65536);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys(errno, what + ": netlink recv");
    }
    int left = static_cast<int>(n);
    for (auto* r = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(r, left); r = NLMSG_NEXT(r, left)) {
      if (r->nlmsg_seq != seq_) continue;
      if (r->nlmsg_type == NLMSG_DONE) return out;
      if (r->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(r));
        if (e->error == 0) return out;
        return std::unexpected(nl_error(-e->error, what, r));
      }
      const char* p = reinterpret_cast<const char*>(r);
      out.emplace_back(p, p + r->nlmsg_len);
      if (!is_dump) return out;
    }
  }
}

Result<int> Netlink::link_index(const std::string& name) {
  Msg m(RTM_GETLINK, 0);
  m.put(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  m.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  auto r = dump(m.finish(), "look up link " + name);
  if (!r) return fail(r.error());
  if (r->empty()) return fail_sys(ENODEV, "look up link", name);
  return parse_link(reinterpret_cast<const nlmsghdr*>((*r)[0].data())).index;
}

Result<LinkInfo> Netlink::link(int index) {
  Msg m(RTM_GETLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  m.put(ifi);
  auto r = dump(m.finish(), "look up link #" + std::to_string(index));
  if (!r) return fail(r.error());
  if (r->empty()) return fail_sys(ENODEV, "look up link #" + std::to_string(index));
  return parse_link(reinterpret_cast<const nlmsghdr*>((*r)[0].data()));
}

Result<LinkCounters> Netlink::counters(int index) {
  Msg m(RTM_GETLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  m.put(ifi);
  auto r = dump(m.finish(), "read counters of link #" + std::to_string(index));
  if (!r) return fail(r.error());
  if (r->empty()) return fail_sys(ENODEV, "read counters of link #" + std::to_string(index));
  LinkCounters c;
  parse_link(reinterpret_cast<const nlmsghdr*>((*r)[0].data()), &c);
  return c;
}

Result<std::vector<LinkInfo>> Netlink::links() {
  Msg m(RTM_GETLINK, NLM_F_DUMP);
  m.put(ifinfomsg{});
  m.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  auto r = dump(m.finish(), "list links");
  if (!r) return fail(r.error());
  std::vector<LinkInfo> out;
  for (const auto& msg : *r) out.push_back(parse_link(reinterpret_cast<const nlmsghdr*>(msg.data())));
  return out;
}

Result<std::vector<RouteInfo>> Netlink::routes_v4() {
  Msg m(RTM_GETROUTE, NLM_F_DUMP);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  m.put(rt);
  auto r = dump(m.finish(), "list IPv4 routes");
  if (!r) return fail(r.error());
  std::vector<RouteInfo> out;
  for (const auto& msg : *r) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(msg.data());
    if (h->nlmsg_type != RTM_NEWROUTE) continue;
    const auto* rm = static_cast<const rtmsg*>(NLMSG_DATA(h));
    RouteInfo ri;
    ri.dst_len = rm->rtm_dst_len;
    ri.table = rm->rtm_table;
    bool unicast = rm->rtm_type == RTN_UNICAST;
    for_attrs(RTM_RTA(rm), RTM_PAYLOAD(h), [&](const rtattr* a) {
      if (a->rta_type == RTA_DST) ri.dst = ntohl(*static_cast<const uint32_t*>(RTA_DATA(a)));
      if (a->rta_type == RTA_OIF) ri.oif = static_cast<int>(*static_cast<const uint32_t*>(RTA_DATA(a)));
      if (a->rta_type == RTA_TABLE) ri.table = *static_cast<const uint32_t*>(RTA_DATA(a));
    });
    if (unicast && ri.table == RT_TABLE_MAIN) out.push_back(ri);
  }
  return out;
}

Result<std::vector<std::pair<uint32_t, int>>> Netlink::addresses_v4(int index) {
  Msg m(RTM_GETADDR, NLM_F_DUMP);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  m.put(ifa);
  auto r = dump(m.finish(), "list IPv4 addresses");
  if (!r) return fail(r.error());
  std::vector<std::pair<uint32_t, int>> out;
  for (const auto& msg : *r) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(msg.data());
    if (h->nlmsg_type != RTM_NEWADDR) continue;
    const auto* a = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (static_cast<int>(a->ifa_index) != index) continue;
    for_attrs(IFA_RTA(a), IFA_PAYLOAD(h), [&](const rtattr* at) {
      if (at->rta_type == IFA_LOCAL)
        out.emplace_back(ntohl(*static_cast<const uint32_t*>(RTA_DATA(at))), a->ifa_prefixlen);
    });
  }
  return out;
}

Status Netlink::create_bridge(const std::string& name, uint32_t mtu) {
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.put(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  if (mtu) m.attr_u32(IFLA_MTU, mtu);
  size_t li = m.nest_begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "bridge");
  m.nest_end(li);
  return transact(m.finish(), "create bridge " + name);
}

Status Netlink::create_veth(const std::string& name, const std::string& peer, int peer_netns_fd, uint32_t mtu,
                            int master_index) {
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.put(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  if (mtu) m.attr_u32(IFLA_MTU, mtu);
  if (master_index) m.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  size_t li = m.nest_begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = m.nest_begin(IFLA_INFO_DATA);
  size_t p = m.nest_begin(VETH_INFO_PEER);
  m.put(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, peer);
  if (mtu) m.attr_u32(IFLA_MTU, mtu);
  m.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  m.nest_end(p);
  m.nest_end(data);
  m.nest_end(li);
  return transact(m.finish(), "create veth " + name + " (peer " + peer + ")");
}

Status Netlink::set_up(int index, const std::string& what) {
  Msg m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.put(ifi);
  return transact(m.finish(), "set link up " + what);
}

Status Netlink::set_mtu(int index, uint32_t mtu, const std::string& what) {
  Msg m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  m.put(ifi);
  m.attr_u32(IFLA_MTU, mtu);
  return transact(m.finish(), "set MTU " + std::to_string(mtu) + " on " + what);
}

Status Netlink::set_hairpin(int index, bool on, const std::string& what) {
  Msg m(RTM_SETLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = index;
  m.put(ifi);
  size_t pi = m.nest_begin(IFLA_PROTINFO);
  uint8_t v = on ? 1 : 0;
  m.attr(IFLA_BRPORT_MODE, &v, 1);
  m.nest_end(pi);
  return transact(m.finish(), "set hairpin mode on " + what);
}

Status Netlink::add_address(int index, uint32_t addr, int prefix, const std::string& what) {
  Msg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<unsigned>(index);
  m.put(ifa);
  uint32_t a = htonl(addr);
  m.attr(IFA_LOCAL, &a, 4);
  m.attr(IFA_ADDRESS, &a, 4);
  if (prefix < 31) {
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    uint32_t brd = htonl(addr | ~mask);
    m.attr(IFA_BROADCAST, &brd, 4);
  }
  return transact(m.finish(), "add address to " + what);
}

Status Netlink::add_default_route(int index, uint32_t gateway) {
  Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  m.put(rt);
  uint32_t gw = htonl(gateway);
  m.attr(RTA_GATEWAY, &gw, 4);
  m.attr_u32(RTA_OIF, static_cast<uint32_t>(index));
  return transact(m.finish(), "add default route");
}

Status Netlink::delete_link(const std::string& name) {
  Msg m(RTM_DELLINK, 0);
  m.put(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  return transact(m.finish(), "delete link " + name);
}

}  // namespace ecsd::netns
