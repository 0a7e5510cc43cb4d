#include "netns/ipv4.h"

#include <arpa/inet.h>

#include <charconv>

namespace ecsd::netns {

Result<uint32_t> parse_ipv4(std::string_view s) {
  std::string z(s);
  in_addr a{};
  if (z.empty() || ::inet_pton(AF_INET, z.c_str(), &a) != 1)
    return fail_invalid("bad IPv4 address '" + z + "'");
  return ntohl(a.s_addr);
}

std::string format_ipv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
}

std::string Cidr::str() const { return format_ipv4(network) + "/" + std::to_string(prefix); }

Result<Cidr> parse_cidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return fail_invalid("bad subnet '" + std::string(s) + "' (want a.b.c.d/n)");
  auto a = parse_ipv4(s.substr(0, slash));
  if (!a) return fail(a.error().with_context("subnet"));
  auto ps = s.substr(slash + 1);
  int p = -1;
  auto [end, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), p);
  if (ps.empty() || ec != std::errc() || end != ps.data() + ps.size() || p < 0 || p > 32)
    return fail_invalid("bad prefix length in subnet '" + std::string(s) + "'");
  Cidr c{*a, p};
  if ((c.network & ~c.mask()) != 0)
    return fail_invalid("subnet '" + std::string(s) + "' has host bits set (want " +
                        Cidr{c.network & c.mask(), p}.str() + ")");
  return c;
}

Result<Cidr> pick_private_subnet(const std::vector<Cidr>& taken) {
  for (uint32_t second = 17; second <= 31; ++second) {
    Cidr c{(172u << 24) | (second << 16), 16};
    bool clash = false;
    for (const auto& t : taken) clash = clash || (t.prefix > 0 && c.overlaps(t));
    if (!clash) return c;
  }
  return fail_invalid("no free private subnet: host routes overlap all of 172.17.0.0/16..172.31.0.0/16; "
                      "configure one");
}

}  // namespace ecsd::netns
