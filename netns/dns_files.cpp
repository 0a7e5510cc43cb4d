#include "netns/dns_files.h"

#include <sstream>

namespace ecsd::netns {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool is_localhost_server(const std::string& s) {
  return s.rfind("127.", 0) == 0 || s == "::1" || s == "0:0:0:0:0:0:0:1";
}
bool is_ipv6(const std::string& s) { return s.find(':') != std::string::npos; }

std::vector<std::vector<std::string>> entries(std::string_view text) {
  std::vector<std::vector<std::string>> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto hash = line.find_first_of("#;");
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    auto w = words(line);
    if (!w.empty()) out.push_back(std::move(w));
    if (nl == text.size()) break;
  }
  return out;
}

}  // namespace

bool only_localhost_nameservers(std::string_view resolv_conf) {
  bool any = false;
  for (const auto& e : entries(resolv_conf)) {
    if (e[0] != "nameserver" || e.size() < 2) continue;
    if (!is_localhost_server(e[1])) return false;
    any = true;
  }
  return any;
}

std::string render_resolv_conf(const ResolvInput& in, std::string_view host) {
  std::vector<std::string> servers, search, options;
  for (const auto& e : entries(host)) {
    if (e[0] == "nameserver" && e.size() >= 2) {
      if (!is_localhost_server(e[1]) && !is_ipv6(e[1])) servers.push_back(e[1]);
    } else if ((e[0] == "search" || e[0] == "domain") && e.size() >= 2) {
      search.assign(e.begin() + 1, e.end());  // the last search/domain line wins
    } else if (e[0] == "options") {
      options.insert(options.end(), e.begin() + 1, e.end());
    }
  }
  if (!in.servers.empty()) servers = in.servers;
  if (!in.search.empty()) search = in.search;
  if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};

  std::string out;
  if (!search.empty()) {
    out += "search";
    for (const auto& s : search) out += " " + s;
    out += "\n";
  }
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  if (!options.empty()) {
    out += "options";
    for (const auto& o : options) out += " " + o;
    out += "\n";
  }
  return out;
}

std::string render_hosts(std::string_view hostname, std::string_view ip,
                         const std::vector<std::pair<std::string, std::string>>& extra_hosts) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& [name, addr] : extra_hosts) out += addr + "\t" + name + "\n";
  if (!ip.empty() && !hostname.empty()) {
    out += std::string(ip) + "\t" + std::string(hostname) + "\n";
  }
  return out;
}

std::string render_host_mode_hosts(std::string_view host_hosts,
                                   const std::vector<std::pair<std::string, std::string>>& extra_hosts) {
  std::string out(host_hosts);
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  for (const auto& [name, addr] : extra_hosts) out += addr + "\t" + name + "\n";
  return out;
}

std::string render_hostname(std::string_view hostname) { return std::string(hostname) + "\n"; }

bool valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return prev != '-' && prev != '.';
}

}  // namespace ecsd::netns
