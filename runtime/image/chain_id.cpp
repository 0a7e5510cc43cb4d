#include "runtime/image/chain_id.h"

#include "runtime/image/digest.h"

namespace ecsd::image {

Result<std::string> chain_id(std::string_view parent_chain_id, std::string_view diff_id) {
  if (!validate_digest(diff_id)) {
    return fail_invalid("chain id: bad diff_id '" + std::string(diff_id) + "'");
  }
  if (parent_chain_id.empty()) return std::string(diff_id);
  if (!validate_digest(parent_chain_id)) {
    return fail_invalid("chain id: bad parent chain id '" + std::string(parent_chain_id) + "'");
  }
  std::string input(parent_chain_id);
  input.push_back(' ');
  input.append(diff_id);
  return sha256_digest(input);
}

Result<std::vector<std::string>> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  out.reserve(diff_ids.size());
  std::string parent;
  for (const auto& d : diff_ids) {
    auto c = chain_id(parent, d);
    if (!c) return std::unexpected(c.error());
    parent = *c;
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace ecsd::image
