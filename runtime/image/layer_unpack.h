// Unpacks one layer tar stream into a directory in overlay form:
//   .wh.NAME       -> NAME as a character device 0:0 (an overlay whiteout)
//   .wh..wh..opq   -> trusted.overlay.opaque=y on the containing directory
// Regular files (sparse too), directories, symlinks, hardlinks, device nodes
// and fifos, with numeric owners, modes (setuid/setgid/sticky set after the
// chown), xattrs (security.capability included; trusted.overlay.* and
// user.overlay.* from the tar are dropped) and mtimes (directories last).
//
// Every operation is relative to a directory fd reached without following
// symlinks (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, O_NOFOLLOW per
// component), so nothing in the tar can make a write land outside `dest`.
// Entry names are cleaned as Docker does (absolute names become relative,
// ".." may not climb above the root). Rejected, with the entry named:
//   - a name whose ".." climbs above the root,
//   - an entry whose parent path goes through a symlink (or a non-directory),
//   - a hardlink whose target climbs above the root or is not in the layer.
// The caller removes `dest` on error (LayerStore does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ecsd::image {

struct LayerUnpackResult {
  std::string diff_id;            // "sha256:" of the uncompressed tar
  std::string compressed_digest;  // "sha256:" of the bytes read, if asked for
  std::uint64_t size = 0;         // uncompressed bytes
  std::uint64_t compressed_size = 0;
  std::uint64_t entries = 0;
};

struct LayerUnpackOptions {
  std::string media_type;      // hint when the magic bytes say nothing
  bool hash_compressed = false;
};

// dest must exist (normally empty). fd is read to EOF.
Result<LayerUnpackResult> unpack_layer(int fd, const std::string& dest,
                                       const LayerUnpackOptions& opts = {});

}  // namespace ecsd::image
