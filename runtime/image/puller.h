// Pulls an image into the content store: resolves the reference to a
// platform manifest, stores manifest and config, fetches layers in parallel
// (bounded) with sha256 verification while streaming, and optionally tees
// every layer's bytes to a LayerConsumer (unpack in the same pass).
#pragma once

#include <functional>
#include <string>

#include "common/error.h"
#include "runtime/image/content_store.h"
#include "runtime/image/manifest.h"
#include "runtime/image/pulled_image.h"
#include "runtime/image/reference.h"
#include "runtime/image/registry_client.h"

namespace ecsd::image {

struct PullProgress {
  enum class Kind {
    kResolved,     // manifest known: index = number of layers, total = bytes
    kLayerStart,   // download started
    kLayerBytes,   // done = bytes so far
    kLayerCached,  // blob already in the store
    kLayerDone,    // verified (and unpacked, with a consumer)
  };
  Kind kind;
  size_t index = 0;  // layer index
  std::string digest;
  int64_t done = 0;
  int64_t total = 0;
};

struct PullOptions {
  Platform platform = host_platform();
  int max_parallel_layers = 3;
  LayerConsumer* consumer = nullptr;  // may be null: download only
  // Called from worker threads (serialised by the puller).
  std::function<void(const PullProgress&)> progress;
};

class Puller {
 public:
  Puller(const ContentStore& store, RegistryClient& client) : store_(store), client_(client) {}

  // On success every blob of the image is in the store; the index digest (if
  // the reference named a list) is in `index_digest` when not null.
  Result<PulledImage> pull(const Reference& ref, const PullOptions& opts, std::string* index_digest = nullptr);

 private:
  Status pull_layer(const Reference& ref, const PulledImage& image, size_t i, const PullOptions& opts);
  const ContentStore& store_;
  RegistryClient& client_;
};

}  // namespace ecsd::image
