// LayerConsumer over the LayerStore: unpacks each layer from the download
// stream into a private temp dir (diff_id checked against the config), and
// commits it under its ChainID only once the blob digest verified.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "runtime/image/layer_store.h"
#include "runtime/image/pulled_image.h"

namespace ecsd::image {

class StoreLayerConsumer : public LayerConsumer {
 public:
  explicit StoreLayerConsumer(LayerStore& layers) : layers_(layers) {}

  // Parses the config's diff_ids into ChainIDs; call before the pull's layers
  // start (the puller calls needs() first, which does it lazily).
  bool needs(const PulledImage& image, size_t index) override;
  Status unpack(int fd, const PulledImage& image, size_t index) override;
  Status finish(const PulledImage& image, size_t index, bool verified) override;

  // ChainIDs of the image's layers (valid after the first needs()).
  std::vector<std::string> chain_ids() const;

 private:
  Status prepare(const PulledImage& image);
  LayerStore& layers_;
  mutable std::mutex mu_;
  bool prepared_ = false;
  Status prepare_status_;
  std::vector<std::string> diff_ids_;
  std::vector<std::string> chains_;
  std::vector<UnpackedLayer> pending_;
};

}  // namespace ecsd::image
