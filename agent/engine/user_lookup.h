// Resolving a container's `user` ("name", "uid", "name:group", "uid:gid")
// against the image's /etc/passwd and /etc/group text, as Docker does:
// a name must exist in passwd; a numeric uid that is not there runs with gid
// 0 (or the given group); supplementary groups are the groups that list the
// user's name as a member. Pure logic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::engine {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // sorted, without gid
  std::string home = "/";                 // from passwd, "/" when unknown
};

// user: as written in the task definition or image config; empty means root.
Result<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd_text, std::string_view group_text);

}  // namespace ecsd::engine
