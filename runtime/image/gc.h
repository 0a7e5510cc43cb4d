// Removal of images and garbage collection of blobs (and unpacked layers)
// that no image record references any more.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/image/content_store.h"
#include "runtime/image/image_index.h"
#include "runtime/image/layer_store.h"

namespace ecsd::image {

struct GcOptions {
  // Images: remove up to max_images_per_run records whose last_used is at
  // least min_image_age_s old and which are not in in_use (oldest first).
  // max_images_per_run = 0 removes no images (blob collection only).
  int64_t min_image_age_s = 3600;
  int max_images_per_run = 0;
  std::set<std::string> in_use;  // references that must stay
  // Blobs no record references are removed once older than min_blob_age_s
  // (a pull in progress writes its blobs before its record), at most
  // max_blobs_per_run of them (0 = no limit), oldest first.
  int64_t min_blob_age_s = 3600;
  int max_blobs_per_run = 0;
};

struct GcResult {
  std::vector<std::string> removed_images;
  std::vector<std::string> removed_blobs;
  std::vector<std::string> removed_layers;  // chain ids
  int64_t bytes_freed = 0;                  // blobs only
};

// Pure: which records to remove, oldest last_used first.
std::vector<std::string> select_images_to_remove(const std::vector<ImageRecord>& recs,
                                                 const std::set<std::string>& in_use, int64_t now,
                                                 int64_t min_age_s, int max_count);
// Pure: which stored blobs to remove.
std::vector<std::string> select_blobs_to_remove(const std::vector<BlobInfo>& blobs,
                                                const std::set<std::string>& referenced, int64_t now,
                                                int64_t min_age_s, int max_count);

// layers may be null (no unpacked layers to collect).
Result<GcResult> collect_garbage(const ContentStore& store, ImageIndex& index, LayerStore* layers,
                                 const GcOptions& opts, int64_t now);

// `image rm`: drop the record, then its blobs and layers no other record uses.
// Returns the result; an absent reference is an error naming it.
Result<GcResult> remove_image(const ContentStore& store, ImageIndex& index, LayerStore* layers,
                              const std::string& reference);

}  // namespace ecsd::image
