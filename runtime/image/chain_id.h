// ChainIDs (OCI image spec, config.md "Layer ChainID"):
//   ChainID(L0) = DiffID(L0)
//   ChainID(L0|...|Ln) = sha256(ChainID(L0|...|Ln-1) + " " + DiffID(Ln))
// Digests are "sha256:<64 lowercase hex>" (runtime/image/digest.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

// ChainID of a layer with the given diff_id on top of parent ("" for a base layer).
Result<std::string> chain_id(std::string_view parent_chain_id, std::string_view diff_id);
// ChainIDs of every prefix of diff_ids: result[i] is the ChainID of layers 0..i.
Result<std::vector<std::string>> chain_ids(const std::vector<std::string>& diff_ids);

}  // namespace ecsd::image
