#include "netns/nft_rules.h"

namespace ecsd::netns {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

const char* map_name(Protocol p) { return p == Protocol::udp ? "udp_dnat" : "tcp_dnat"; }

std::string element(uint32_t ip, const PortBinding& b) {
  return std::to_string(b.host_port) + " : " + format_ipv4(ip) + " . " + std::to_string(b.container_port);
}

std::string elements_of(const State& st, Protocol p) {
  std::string out;
  for (const auto& t : st.tasks) {
    if (t.mode != "bridge" || t.ip == 0) continue;
    for (const auto& b : t.bindings) {
      if (b.protocol != p) continue;
      out += out.empty() ? "" : ", ";
      out += element(t.ip, b);
    }
  }
  return out;
}

}  // namespace

std::string table_script(const TableSpec& s, const State& st) {
  const std::string br = quoted(s.bridge);
  const std::string agent = s.agent_ip + ":" + std::to_string(s.agent_port);
  const std::string meta =
      "ip daddr " + s.metadata_ip + " tcp dport " + std::to_string(s.metadata_port) + " dnat ip to " + agent;
  std::string out;
  out += "table ip " + s.table + " {}\n";
  out += "delete table ip " + s.table + "\n";
  out += "table ip " + s.table + " {\n";
  for (Protocol p : {Protocol::tcp, Protocol::udp}) {
    out += std::string("  map ") + map_name(p) + " {\n    type inet_service : ipv4_addr . inet_service\n";
    std::string el = elements_of(st, p);
    if (!el.empty()) out += "    elements = { " + el + " }\n";
    out += "  }\n";
  }
  out += "  set agent_ports {\n    type inet_service\n";
  if (!s.agent_local_ports.empty()) {
    out += "    elements = { ";
    for (size_t i = 0; i < s.agent_local_ports.size(); ++i)
      out += (i ? ", " : "") + std::to_string(s.agent_local_ports[i]);
    out += " }\n";
  }
  out += "  }\n";
  // Incoming: the metadata address from tasks, then host ports on any local address.
  out += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
  out += "    iifname " + br + " " + meta + "\n";
  out += "    fib daddr type local dnat ip to tcp dport map @tcp_dnat\n";
  out += "    fib daddr type local dnat ip to udp dport map @udp_dnat\n  }\n";
  // From the host itself (localhost and the host's own addresses).
  out += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
  if (s.agent_endpoint_from_host) out += "    " + meta + "\n";
  out += "    fib daddr type local dnat ip to tcp dport map @tcp_dnat\n";
  out += "    fib daddr type local dnat ip to udp dport map @udp_dnat\n  }\n";
  out += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  // localhost -> task (DNAT in output): 127.x cannot leave the host as a source.
  out += "    oifname " + br + " ip saddr 127.0.0.0/8 masquerade\n";
  // hairpin: a task reaching a host port that leads back onto the bridge.
  out += "    oifname " + br + " ip saddr " + s.subnet + " ct status dnat masquerade\n";
  // outbound
  out += "    oifname != " + br + " ip saddr " + s.subnet + " masquerade\n  }\n";
  // Off-host packets may not reach the agent's localhost ports (route_localnet
  // is on for the bridge); the DNATed metadata path is allowed.
  out += "  chain input {\n    type filter hook input priority filter; policy accept;\n";
  out += "    iifname != \"lo\" ip daddr 127.0.0.0/8 tcp dport @agent_ports ct status & dnat == 0 drop\n  }\n";
  // Other hosts reach tasks only through mapped ports (and replies).
  out += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
  out += "    oifname " + br + " iifname != " + br + " ct state established,related accept\n";
  out += "    oifname " + br + " iifname != " + br + " ct status dnat accept\n";
  out += "    oifname " + br + " iifname != " + br + " drop\n  }\n";
  out += "}\n";
  return out;
}

std::string delete_table_script(const std::string& table) {
  return "table ip " + table + " {}\ndelete table ip " + table + "\n";
}

std::string add_bindings_script(const std::string& table, uint32_t task_ip,
                                const std::vector<PortBinding>& bindings) {
  std::string out;
  for (Protocol p : {Protocol::tcp, Protocol::udp}) {
    std::string el;
    for (const auto& b : bindings)
      if (b.protocol == p) el += (el.empty() ? "" : ", ") + element(task_ip, b);
    if (!el.empty()) out += "add element ip " + table + " " + map_name(p) + " { " + el + " }\n";
  }
  return out;
}

std::string delete_bindings_script(const std::string& table, const std::vector<PortBinding>& bindings) {
  std::string out;
  for (Protocol p : {Protocol::tcp, Protocol::udp}) {
    std::string el;
    for (const auto& b : bindings)
      if (b.protocol == p) el += (el.empty() ? "" : ", ") + std::to_string(b.host_port);
    if (!el.empty()) out += "delete element ip " + table + " " + map_name(p) + " { " + el + " }\n";
  }
  return out;
}

}  // namespace ecsd::netns
