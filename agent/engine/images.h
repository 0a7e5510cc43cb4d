// The engine's view of the image store (<data-dir>/images): make an image
// available per the pull policy (ECS_IMAGE_PULL_BEHAVIOR) with all layers
// unpacked, and mount a container's overlay rootfs. Thread-safe: pulls of the
// same reference are serialised, different references run in parallel.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/image/content_store.h"
#include "runtime/image/credentials.h"
#include "runtime/image/image_config.h"
#include "runtime/image/image_index.h"
#include "runtime/image/layer_store.h"
#include "runtime/image/pull_policy.h"

namespace ecsd::engine {

struct ReadyImage {
  std::string reference;        // normalized
  std::string manifest_digest;
  image::ImageConfig config;
  std::vector<std::string> chain_ids;  // base first
  bool pulled = false;                 // the registry was contacted
  std::string warning;                 // a failed pull fell back to the cache
};

class Images {
 public:
  static Result<std::unique_ptr<Images>> open(const std::string& images_root, image::PullPolicy policy);

  // Pull (per policy) and unpack. Errors are worded for CannotPullContainerError.
  Result<ReadyImage> ensure(const std::string& ref);
  // The cached image, without contacting the registry.
  Result<ReadyImage> cached(const std::string& ref);
  // Credentials asked first for every pull (e.g. ECR); nullptr = none.
  void set_credentials(std::shared_ptr<image::CredentialProvider> p) { extra_credentials_ = std::move(p); }
  // Mount the rootfs of `img` at target with upper/work in scratch_dir
  // (created). The mount stays after the call (it is recorded by the engine).
  Status mount_rootfs(const ReadyImage& img, const std::string& scratch_dir, const std::string& target);

 private:
  Images(std::string root, image::ContentStore blobs, image::LayerStore layers, image::PullPolicy policy);
  Result<ReadyImage> ready_from_record(const image::ImageRecord& rec);
  std::mutex& lock_for(const std::string& ref);

  std::string root_;
  image::ContentStore blobs_;
  image::LayerStore layers_;
  image::ImageIndex index_;
  image::PullPolicy policy_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> ref_locks_;
  std::shared_ptr<image::CredentialProvider> extra_credentials_;
};

// Unmounts target (lazily if busy) when it is a mount point; removes nothing.
Status unmount_if_mounted(const std::string& target);

}  // namespace ecsd::engine
