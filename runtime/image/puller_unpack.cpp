#include "runtime/image/puller_unpack.h"

#include "runtime/image/chain_id.h"
#include "runtime/image/image_config.h"

namespace ecsd::image {

Status StoreLayerConsumer::prepare(const PulledImage& image) {
  std::lock_guard lk(mu_);
  if (prepared_) return prepare_status_;
  prepared_ = true;
  auto cfg = parse_image_config(image.config_json);
  if (!cfg) {
    prepare_status_ = fail(cfg.error().with_context("image config " + image.config_digest));
    return prepare_status_;
  }
  if (cfg->diff_ids.size() != image.layers.size()) {
    prepare_status_ = fail_invalid("image config lists " + std::to_string(cfg->diff_ids.size()) +
                                   " diff_ids but the manifest has " + std::to_string(image.layers.size()) + " layers");
    return prepare_status_;
  }
  auto chains = ecsd::image::chain_ids(cfg->diff_ids);
  if (!chains) {
    prepare_status_ = fail(chains.error());
    return prepare_status_;
  }
  diff_ids_ = cfg->diff_ids;
  chains_ = *chains;
  pending_.clear();
  pending_.resize(image.layers.size());
  return prepare_status_;
}

std::vector<std::string> StoreLayerConsumer::chain_ids() const {
  std::lock_guard lk(mu_);
  return chains_;
}

bool StoreLayerConsumer::needs(const PulledImage& image, size_t index) {
  // A bad config makes unpack() report the error.
  if (!prepare(image)) return true;
  std::lock_guard lk(mu_);
  return !layers_.has(chains_[index]);
}

Status StoreLayerConsumer::unpack(int fd, const PulledImage& image, size_t index) {
  ECSD_TRY(prepare(image));
  UnpackOptions o;
  o.media_type = image.layers[index].media_type;
  {
    std::lock_guard lk(mu_);
    o.expected_diff_id = diff_ids_[index];
  }
  auto u = layers_.unpack_from_fd(fd, o);
  if (!u) return fail(u.error().with_context("unpacking"));
  std::lock_guard lk(mu_);
  pending_[index] = std::move(*u);
  return {};
}

Status StoreLayerConsumer::finish(const PulledImage& image, size_t index, bool verified) {
  UnpackedLayer layer;
  std::string parent;
  {
    std::lock_guard lk(mu_);
    if (index >= pending_.size()) return fail_invalid("finish for unknown layer");
    layer = std::move(pending_[index]);
    parent = index == 0 ? std::string() : chains_[index - 1];
  }
  if (!verified || layer.empty()) return {};  // dropped by the destructor
  auto c = layers_.commit(parent, std::move(layer));
  if (!c) return fail(c.error().with_context("committing layer " + image.layers[index].digest));
  return {};
}

}  // namespace ecsd::image
