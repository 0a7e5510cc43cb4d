#include "agent/host/host_rules.h"

#include <arpa/inet.h>

namespace ecsd::host {

namespace {

bool valid_name(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.'))
      return false;
  return true;
}

bool valid_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

}  // namespace

std::string validate(const HostRulesSpec& s) {
  if (!valid_name(s.table, 64) || s.table.find('.') != std::string::npos)
    return "invalid nftables table name '" + s.table + "'";
  if (!valid_name(s.bridge, 15)) return "invalid interface name '" + s.bridge + "'";
  if (!valid_ipv4(s.metadata_ip)) return "invalid metadata address '" + s.metadata_ip + "'";
  if (!valid_ipv4(s.agent_ip)) return "invalid agent address '" + s.agent_ip + "'";
  if (s.metadata_port == 0 || s.agent_port == 0) return "port 0 is not valid";
  for (auto p : s.protected_ports)
    if (p == 0) return "port 0 is not valid";
  return "";
}

std::string host_table_script(const HostRulesSpec& s) {
  const std::string agent = s.agent_ip + ":" + std::to_string(s.agent_port);
  const std::string meta =
      "ip daddr " + s.metadata_ip + " tcp dport " + std::to_string(s.metadata_port) + " dnat ip to " + agent;
  std::string out;
  out += "table ip " + s.table + " {}\n";
  out += "delete table ip " + s.table + "\n";
  out += "table ip " + s.table + " {\n";
  out += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
  out += "    iifname \"" + s.bridge + "\" " + meta + "\n  }\n";
  out += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
  out += "    " + meta + "\n  }\n";
  out += "  chain input {\n    type filter hook input priority filter; policy accept;\n";
  if (!s.protected_ports.empty()) {
    std::string ports;
    for (size_t i = 0; i < s.protected_ports.size(); ++i)
      ports += (i ? ", " : "") + std::to_string(s.protected_ports[i]);
    out += "    iifname != \"lo\" ip daddr 127.0.0.0/8 tcp dport { " + ports + " } ct status & dnat == 0 drop\n";
  }
  out += "  }\n}\n";
  return out;
}

std::string delete_host_table_script(const std::string& table) {
  return "table ip " + table + " {}\ndelete table ip " + table + "\n";
}

}  // namespace ecsd::host
