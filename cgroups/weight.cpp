// cpu.shares (v1) -> cpu.weight (v2).
#include <cmath>

#include "cgroups/cgroup.h"

namespace ecsd::cgroups {

// The quadratic mapping of crun >= 1.23 / runc >= 1.3.2: with l = log2(shares),
// weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)). It passes through
// (2, 1), (1024, 100) and (262144, 10000), so the default 1024 maps to the
// v2 default 100 (the old linear formula gave 39).
uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;  // unset
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  double w = std::ceil(std::pow(10.0, exponent));
  if (w < 1) return 1;
  if (w > 10000) return 10000;
  return static_cast<uint64_t>(w);
}

}  // namespace ecsd::cgroups
