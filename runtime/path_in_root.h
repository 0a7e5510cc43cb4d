// Resolving container paths inside the rootfs without escaping it: every
// component (symlinks included) is resolved as if the rootfs were "/"
// (openat2 RESOLVE_IN_ROOT), so "../../etc" or a symlink to "/etc" cannot
// reach the host.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::runtime {

// Lexical clean of an absolute container path: "/a/./b//../c/" -> "/a/c";
// ".." never climbs above "/". Relative input is taken relative to "/".
std::string clean_path(std::string_view p);
// Components of a cleaned path: "/a/b" -> {"a", "b"}.
std::vector<std::string> path_components(std::string_view clean);

// "/proc/self/fd/<fd>": mount(2) targets and re-opens go through it.
std::string fd_path(int fd);

// Opens `path` (a container path) under rootfd with RESOLVE_IN_ROOT.
Result<UniqueFd> open_in_root(int rootfd, std::string_view path, int flags, mode_t mode = 0);

// Creates missing directories of `path` under rootfd (mode) and returns an
// O_PATH fd of the final directory.
Result<UniqueFd> mkdir_all_in_root(int rootfd, std::string_view path, mode_t mode = 0755);

// Creates an empty regular file at `path` (parents as directories) unless
// something exists there; returns an O_PATH fd of what is there.
Result<UniqueFd> ensure_file_in_root(int rootfd, std::string_view path, mode_t mode = 0644);

}  // namespace ecsd::runtime
