// The LayerConsumer (pulled_image.h) that unpacks each layer into the
// LayerStore while it downloads: needs() asks the store for the layer's
// ChainID (computed from the config's rootfs.diff_ids), unpack() unpacks the
// piped bytes checking the diff_id against the config, finish() commits the
// layer if the blob verified, else drops it. Layers may finish in any order:
// each ChainID follows from the config alone. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "runtime/image/layer_store.h"
#include "runtime/image/pulled_image.h"

namespace ecsd::image {

class StoreLayerConsumer : public LayerConsumer {
 public:
  explicit StoreLayerConsumer(LayerStore& store) : store_(store) {}

  bool needs(const PulledImage& image, size_t index) override;
  Status unpack(int fd, const PulledImage& image, size_t index) override;
  Status finish(const PulledImage& image, size_t index, bool verified) override;

  // The image's ChainIDs (base first), after the first call with that image.
  std::vector<std::string> chain_ids() const;

 private:
  Status prepare(const PulledImage& image);  // under mu_

  LayerStore& store_;
  mutable std::mutex mu_;
  std::string config_digest_;
  std::vector<std::string> diff_ids_, chain_ids_;
  std::vector<UnpackedLayer> pending_;
};

}  // namespace ecsd::image
