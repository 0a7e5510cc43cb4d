// IPv4 addresses and prefixes as host-order integers (pure).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::netns {

Result<uint32_t> parse_ipv4(std::string_view s);  // host byte order
std::string format_ipv4(uint32_t addr);

struct Cidr {
  uint32_t network = 0;  // host order, host bits zero
  int prefix = 0;
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t broadcast() const { return network | ~mask(); }
  bool contains(uint32_t a) const { return (a & mask()) == network; }
  bool overlaps(const Cidr& o) const {
    int p = prefix < o.prefix ? prefix : o.prefix;
    uint32_t m = p == 0 ? 0 : ~uint32_t{0} << (32 - p);
    return (network & m) == (o.network & m);
  }
  uint32_t gateway() const { return network + 1; }
  std::string str() const;
  bool operator==(const Cidr&) const = default;
};
// "172.17.0.0/16"; host bits must be zero.
Result<Cidr> parse_cidr(std::string_view s);

// The first of 172.17.0.0/16 .. 172.31.0.0/16 that overlaps none of `taken`.
Result<Cidr> pick_private_subnet(const std::vector<Cidr>& taken);

}  // namespace ecsd::netns
