// Records of pulled images, one JSON file (<root>/images.json) guarded by a
// flock (<root>/locks/images.lock) and replaced atomically. Keyed by the
// normalized reference ("docker.io/library/busybox:latest").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/image/pulled_image.h"

namespace ecsd::image {

struct ImageRecord {
  std::string reference;
  std::string index_digest;  // when the reference named a list/index
  std::string manifest_digest;
  std::string config_digest;
  std::vector<LayerDescriptor> layers;
  int64_t size = 0;       // manifest + config + compressed layers
  int64_t pulled_at = 0;  // seconds since epoch
  int64_t last_used = 0;

  // Every blob the record keeps alive.
  std::vector<std::string> blobs() const;
};

ImageRecord record_from_pull(const PulledImage& img, std::string index_digest, int64_t manifest_size, int64_t now);

class ImageIndex {
 public:
  explicit ImageIndex(std::string root) : root_(std::move(root)) {}

  Result<std::vector<ImageRecord>> list() const;
  Result<std::optional<ImageRecord>> get(std::string_view reference) const;
  // Insert or replace (keeps the older pulled_at? no: a pull sets it).
  Status put(const ImageRecord& rec);
  // Set last_used = now; absent is not an error.
  Status touch(std::string_view reference, int64_t now);
  // Remove; returns the removed record, nullopt when absent.
  Result<std::optional<ImageRecord>> remove(std::string_view reference);

  // Pure (de)serialisation, exposed for tests.
  static Result<std::vector<ImageRecord>> parse(std::string_view json);
  static std::string serialize(const std::vector<ImageRecord>& recs);

 private:
  template <typename F>
  Status modify(F&& f);
  std::string path() const { return root_ + "/images.json"; }
  std::string root_;
};

}  // namespace ecsd::image
