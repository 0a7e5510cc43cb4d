#include "cgroups/cgroup.h"

namespace ecsd::cgroups {

std::string_view to_string(Layout layout) {
  switch (layout) {
    case Layout::kV1: return "v1";
    case Layout::kHybrid: return "hybrid";
    case Layout::kV2: return "v2";
  }
  return "unknown";
}

}  // namespace ecsd::cgroups
