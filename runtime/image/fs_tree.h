// fd-relative filesystem helpers for layer trees: open directories beneath a
// root without following symlinks, and remove whole trees without ever
// leaving them. Used by the layer unpacker, the layer store and rootfs.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::image {

// Opens the directory at relative path `rel` ("" = root_fd itself) beneath
// root_fd. No component may be a symlink (error ELOOP naming the path) or
// a non-directory (ENOTDIR). With create, missing directories are made with
// mode 0755 owned by the caller.
Result<UniqueFd> open_dir_beneath(int root_fd, std::string_view rel, bool create);

// Removes `name` in dir_fd and everything below it (no symlink is followed).
// Missing is not an error.
Status remove_tree_at(int dir_fd, const std::string& name);
// Removes an absolute or cwd-relative path and everything below it.
Status remove_tree(const std::string& path);
// Removes the children of dir_fd, keeping dir_fd itself.
Status clear_dir(int dir_fd, std::string_view what);

// Bytes used by regular files below path (for reports), no symlinks followed.
std::uint64_t tree_size(const std::string& path);

}  // namespace ecsd::image
