// Pure rules for layer tar entry names: cleaning, escape detection and
// whiteout recognition. No system calls; unit-tested without root.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

// Cleans a tar entry name the way Docker's layer unpack does
// (filepath.Clean, then joined under the root): repeated and trailing slashes
// and "." components go, ".." is resolved lexically, and a leading "/" is
// dropped (absolute names land inside the root, as with Docker). A name whose
// ".." would climb above the root is an error naming the entry.
// Returns "" for the root itself ("./", "/", ".").
Result<std::string> clean_entry_path(std::string_view name);

// Splits a cleaned relative path into its components ("" -> {}).
std::vector<std::string> split_path(std::string_view clean);

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
std::pair<std::string, std::string> split_parent(std::string_view clean);

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";
// Names starting with ".wh..wh." are AUFS metadata (e.g. ".wh..wh.plnk").
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

enum class WhiteoutKind {
  kNone,    // an ordinary entry
  kFile,    // ".wh.NAME": NAME is deleted from the layers below
  kOpaque,  // ".wh..wh..opq": the directory hides the layers below
  kMeta,    // other ".wh..wh.*" AUFS bookkeeping: ignored
};

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::kNone;
  std::string target;  // for kFile: NAME
};

// Classifies the last component of an entry name. ".wh." alone, or a target
// of "." / "..", is an error.
Result<Whiteout> classify_whiteout(std::string_view base);

// True if a symlink at link_path (cleaned, relative to the root) with the
// given target stays inside the root when resolved lexically; absolute
// targets are taken relative to the root (as inside a container).
bool symlink_target_inside(std::string_view link_path, std::string_view target);

}  // namespace ecsd::image

namespace ecsd::image {
// xattrs that belong to overlayfs itself (trusted.overlay.*, user.overlay.*):
// a layer may not set them (they could forge opaque dirs or redirects).
bool is_overlay_private_xattr(std::string_view name);
}  // namespace ecsd::image
