// The per-task /etc/resolv.conf, /etc/hosts and /etc/hostname (pure).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecsd::netns {

struct ResolvInput {
  std::vector<std::string> servers;  // empty: from the host's file
  std::vector<std::string> search;   // empty: from the host's file
};

// Docker's rules: given servers/search replace the host's; otherwise the
// host's nameservers minus localhost ones (127.0.0.0/8, ::1: they do not
// answer inside the task's namespace) and minus IPv6 ones (the task network
// is IPv4 only); if none remain, 8.8.8.8 and 8.8.4.4. "options" lines of the
// host are kept.
std::string render_resolv_conf(const ResolvInput& in, std::string_view host_resolv_conf);

// True when every nameserver in the text is a localhost address (e.g. the
// systemd-resolved stub 127.0.0.53), so the caller should prefer the
// upstream file (/run/systemd/resolve/resolv.conf) as Docker does.
bool only_localhost_nameservers(std::string_view resolv_conf);

// Localhost and IPv6 lines as Docker writes them, then extra hosts, then the
// task's own address and name (when ip is non-empty).
std::string render_hosts(std::string_view hostname, std::string_view ip,
                         const std::vector<std::pair<std::string, std::string>>& extra_hosts);
// Host mode: the host's hosts file with the extra hosts appended.
std::string render_host_mode_hosts(std::string_view host_hosts,
                                   const std::vector<std::pair<std::string, std::string>>& extra_hosts);

std::string render_hostname(std::string_view hostname);

// A valid hostname (RFC 1123 labels, <= 253 chars; used for /etc/hosts).
bool valid_hostname(std::string_view name);

}  // namespace ecsd::netns
