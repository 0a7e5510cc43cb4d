#include "runtime/image/store_layer_consumer.h"

#include "runtime/image/chain_id.h"
#include "runtime/image/image_config.h"

namespace ecsd::image {

Status StoreLayerConsumer::prepare(const PulledImage& image) {
  if (!chain_ids_.empty() && config_digest_ == image.config_digest) return {};
  auto cfg = parse_image_config(image.config_json);
  if (!cfg) return std::unexpected(cfg.error());
  if (cfg->diff_ids.size() != image.layers.size()) {
    return fail_invalid("image " + image.reference + ": manifest has " +
                        std::to_string(image.layers.size()) + " layers, config has " +
                        std::to_string(cfg->diff_ids.size()) + " diff_ids");
  }
  auto chains = image::chain_ids(cfg->diff_ids);
  if (!chains) return std::unexpected(chains.error());
  config_digest_ = image.config_digest;
  diff_ids_ = std::move(cfg->diff_ids);
  chain_ids_ = std::move(*chains);
  pending_.clear();
  pending_.resize(chain_ids_.size());
  return {};
}

bool StoreLayerConsumer::needs(const PulledImage& image, size_t index) {
  std::lock_guard lock(mu_);
  if (!prepare(image) || index >= chain_ids_.size()) return true;  // unpack() reports it
  return !store_.has(chain_ids_[index]);
}

Status StoreLayerConsumer::unpack(int fd, const PulledImage& image, size_t index) {
  UnpackOptions opts;
  {
    std::lock_guard lock(mu_);
    ECSD_TRY(prepare(image));
    if (index >= chain_ids_.size()) return fail_invalid("layer index " + std::to_string(index) + " out of range");
    opts.expected_diff_id = diff_ids_[index];
    opts.media_type = image.layers[index].media_type;
  }
  auto layer = store_.unpack_from_fd(fd, opts);  // the long part, unlocked
  if (!layer) {
    return fail(layer.error().with_context("layer " + std::to_string(index + 1) + " (" +
                                           image.layers[index].digest + ")"));
  }
  std::lock_guard lock(mu_);
  if (index >= pending_.size()) return fail_invalid("image changed during unpack");
  pending_[index] = std::move(*layer);
  return {};
}

Status StoreLayerConsumer::finish(const PulledImage& image, size_t index, bool verified) {
  UnpackedLayer layer;
  std::string parent;
  {
    std::lock_guard lock(mu_);
    ECSD_TRY(prepare(image));
    if (index >= pending_.size()) return fail_invalid("layer index " + std::to_string(index) + " out of range");
    layer = std::move(pending_[index]);
    parent = index == 0 ? std::string() : chain_ids_[index - 1];
  }
  if (!verified || layer.empty()) return {};  // dropped by the destructor
  auto chain = store_.commit(parent, std::move(layer));
  if (!chain) return std::unexpected(chain.error());
  return {};
}

std::vector<std::string> StoreLayerConsumer::chain_ids() const {
  std::lock_guard lock(mu_);
  return chain_ids_;
}

}  // namespace ecsd::image
