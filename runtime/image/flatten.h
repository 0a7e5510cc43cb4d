// A flattened copy of an image's root filesystem: the stored layers applied
// in order onto one directory, honouring whiteouts (char 0:0 in the layer
// dirs) and opaque directories (trusted.overlay.opaque=y). Behind
// `ecsd image unpack REF DIR`; for inspection and comparison tests, not for
// running containers (those get an overlay mount, runtime/image/rootfs.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/image/layer_store.h"

namespace ecsd::image {

// Applies overlay-form layer directories (base layer first) onto dest, which
// is created if missing and must otherwise be empty. Owners, modes, xattrs
// (except trusted.overlay.*), mtimes, and hardlinks within a layer are kept.
Status flatten_layers(const std::vector<std::string>& diff_dirs, const std::string& dest);

// The layers named by an image config's rootfs.diff_ids, from the store.
// Every layer must already be unpacked (an error names the first missing one).
Status flatten_image(const LayerStore& store, std::string_view config_json, const std::string& dest);

}  // namespace ecsd::image
