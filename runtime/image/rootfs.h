// Container root filesystems as overlay mounts: the image's layer diff dirs
// as read-only lowers (top layer first), a per-container upper and work dir.
//
// Long lower lists: the classic mount(2) data string is limited to one page
// (4096 bytes), i.e. ~50 layers of <root>/layers/<64 hex>/diff. We use the
// new mount API (fsopen/fsconfig/fsmount/move_mount) and add lowers one at a
// time with "lowerdir+" (Linux 6.8+), which has no total limit (overlayfs
// itself stacks at most 500 lowers). On older kernels we fall back to
// mount(2) and, when the string would not fit in a page, name each lower by
// an O_PATH fd as /proc/self/fd/N (~18 bytes each, ~200 layers): no chdir,
// so it is safe in a multithreaded process.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/image/layer_store.h"

namespace ecsd::image {

struct OverlaySpec {
  std::vector<std::string> lower_dirs;  // top (last applied) layer first
  std::string upper_dir;                // "" = read-only overlay of the lowers
  std::string work_dir;                 // same filesystem as upper_dir
  std::string target;                   // an existing directory
};

// Escapes ',', ':' and '\' in a path for an overlay option value.
std::string escape_overlay_path(const std::string& path);
// The mount(2) data string "lowerdir=a:b,upperdir=..,workdir=..". Error if
// it exceeds max_len (one page for mount(2)) or there are no lowers.
Result<std::string> overlay_mount_data(const OverlaySpec& spec, std::size_t max_len = 4096);

// A mounted overlay. Unmounts on destruction (MNT_DETACH if busy) and, if
// it owns a scratch directory (upper/work), removes it afterwards.
class OverlayMount {
 public:
  OverlayMount() = default;
  OverlayMount(std::string target, std::string owned_dir)
      : target_(std::move(target)), owned_dir_(std::move(owned_dir)) {}
  OverlayMount(OverlayMount&& o) noexcept;
  OverlayMount& operator=(OverlayMount&& o) noexcept;
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;
  ~OverlayMount();

  const std::string& target() const { return target_; }
  // Unmount and remove the owned directory now; reports errors.
  Status release();
  // Forget the mount without unmounting; returns the target.
  std::string disown();

 private:
  std::string target_;
  std::string owned_dir_;
};

// Mounts an overlay per spec at spec.target.
Result<OverlayMount> mount_overlay(const OverlaySpec& spec);

// Mounts the rootfs of an image whose layers are chain_ids (base layer first,
// all present in the store) at target, with upper/ and work/ created inside
// container_dir (e.g. <images-root>/containers/<id>). The returned mount owns
// container_dir and removes it on release.
Result<OverlayMount> mount_image_rootfs(const LayerStore& store,
                                        const std::vector<std::string>& chain_ids,
                                        const std::string& container_dir,
                                        const std::string& target);

}  // namespace ecsd::image
