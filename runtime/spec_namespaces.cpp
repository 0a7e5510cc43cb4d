#include "runtime/spec.h"

namespace ecsd::runtime {

const Namespace* Spec::find_namespace(std::string_view type) const {
  for (const auto& ns : linux.namespaces)
    if (ns.type == type) return &ns;
  return nullptr;
}

bool Spec::has_namespace(std::string_view type) const { return find_namespace(type) != nullptr; }

}  // namespace ecsd::runtime
