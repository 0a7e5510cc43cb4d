// What a pull produces, and the hook through which the puller streams each
// layer's compressed bytes to an unpacker in the same pass as the download.
// Contract between the registry side (puller, content store) and the layer
// side (layer store, rootfs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

struct LayerDescriptor {
  std::string digest;      // "sha256:<64 hex>" of the compressed blob
  std::string media_type;  // e.g. application/vnd.oci.image.layer.v1.tar+gzip
  int64_t size = 0;        // compressed size in bytes, from the manifest
};

struct PulledImage {
  std::string reference;        // normalized: docker.io/library/busybox:latest
  std::string manifest_digest;  // digest of the platform manifest (not the index)
  std::string config_digest;
  std::vector<LayerDescriptor> layers;  // base layer first
  std::string config_json;              // raw image config blob (verified)
};

// Optional consumer of layer bytes during a pull. For every layer that
// needs(), the puller creates a pipe, calls unpack() with its read end in a
// thread of its own (layers run in parallel, bounded), and writes each
// downloaded byte both to the content store ingest file and to the pipe.
// unpack() reads until EOF and prepares the layer without making it visible.
// When both the download and unpack() are done the puller calls finish():
// verified=true if the blob matched its digest and size (then commit),
// false otherwise (then discard). A layer is visible only after a successful
// finish(verified=true). If the blob was already in the content store the
// puller feeds the stored blob through the same path.
class LayerConsumer {
 public:
  virtual ~LayerConsumer() = default;
  // False when the layer is already unpacked (e.g. its ChainID is present).
  virtual bool needs(const PulledImage& image, size_t index) = 0;
  virtual Status unpack(int fd, const PulledImage& image, size_t index) = 0;
  virtual Status finish(const PulledImage& image, size_t index, bool verified) = 0;
};

}  // namespace ecsd::image
