// Unpacked image layers, stored once per ChainID, in overlay form.
//
// On disk, under <images-root>/layers/:
//   <chainid-hex>/diff/       the layer's files; whiteouts are char devices 0:0,
//                             opaque directories carry trusted.overlay.opaque=y
//   <chainid-hex>/layer.json  {"diff_id","chain_id","parent","size"}
//   <chainid-hex>/complete    written last, before the directory is renamed in
//   .tmp/<random>/            layers being unpacked (same filesystem: rename)
//   .locks/<chainid-hex>      flock files serialising commit/remove per layer
//
// Digests are strings "sha256:<64 hex>". No knowledge of registries here:
// callers pass the compressed blob bytes (a file or a pipe fed while
// downloading) and get back the diff_id computed during the same pass.
//
// Typical use, one thread per layer for the unpack, commits in layer order:
//   auto store = LayerStore::open(images_root);
//   auto u = store->unpack_from_fd(pipe_fd, {.media_type = desc.media_type});
//   auto chain = store->commit(parent_chain, std::move(*u));
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

struct UnpackOptions {
  // Media type of the blob, used only when the magic bytes are inconclusive
  // (e.g. an empty blob). Compression is detected from the bytes themselves.
  std::string media_type;
  // If set ("sha256:..."), the computed diff_id must equal it, or the unpack
  // fails and nothing is kept (the config's rootfs.diff_ids[i]).
  std::string expected_diff_id;
};

// A layer unpacked into a private temporary directory, not yet visible in the
// store. Move-only; destroying it without commit() removes the directory.
class UnpackedLayer {
 public:
  UnpackedLayer() = default;
  UnpackedLayer(std::string temp_dir, std::string diff_id, std::uint64_t size,
                std::uint64_t compressed_size);
  UnpackedLayer(UnpackedLayer&& o) noexcept;
  UnpackedLayer& operator=(UnpackedLayer&& o) noexcept;
  UnpackedLayer(const UnpackedLayer&) = delete;
  UnpackedLayer& operator=(const UnpackedLayer&) = delete;
  ~UnpackedLayer();

  const std::string& diff_id() const { return diff_id_; }       // sha256 of the tar stream
  std::uint64_t size() const { return size_; }                  // uncompressed tar bytes
  std::uint64_t compressed_size() const { return compressed_size_; }
  const std::string& temp_dir() const { return temp_dir_; }     // holds diff/
  bool empty() const { return temp_dir_.empty(); }

  // Remove the temporary directory now (also done by the destructor).
  void abandon();
  // Give up ownership of the directory (commit() uses this after renaming).
  std::string release();

 private:
  std::string temp_dir_;
  std::string diff_id_;
  std::uint64_t size_ = 0;
  std::uint64_t compressed_size_ = 0;
};

// What layer.json records about a committed layer.
struct LayerInfo {
  std::string chain_id;  // "sha256:..."
  std::string diff_id;   // "sha256:..."
  std::string parent;    // parent chain id, "" for a base layer
  std::uint64_t size = 0;
};

struct LayerGcResult {
  std::vector<std::string> removed;  // chain ids
  std::uint64_t bytes_freed = 0;     // sum of LayerInfo::size of removed layers
};

class LayerStore {
 public:
  // Creates <images_root>/layers/ (and .tmp/, .locks/) if missing.
  static Result<LayerStore> open(const std::string& images_root);

  // Reads the compressed blob (gzip, zstd or plain tar) from fd until EOF and
  // unpacks it into a new temp dir, computing the diff_id in the same pass.
  // A layer that writes outside its root, a corrupt/truncated stream, or a
  // diff_id mismatch is rejected whole: the error names the offending path
  // and nothing is left behind. Safe to call from several threads at once.
  Result<UnpackedLayer> unpack_from_fd(int fd, const UnpackOptions& opts = {}) const;
  // Same, from a blob file (e.g. <images-root>/blobs/sha256/<hex>).
  Result<UnpackedLayer> unpack_file(const std::string& blob_path,
                                    const UnpackOptions& opts = {}) const;

  // Makes the layer visible as chain_id(parent, diff_id) by atomic rename.
  // parent_chain_id is "" for the first layer. If another process committed
  // the same ChainID first, the temp copy is dropped and the existing one kept.
  Result<std::string> commit(std::string_view parent_chain_id, UnpackedLayer&& layer);
  // Drop an unpacked layer (same as letting it go out of scope).
  void abandon(UnpackedLayer&& layer) const;

  bool has(std::string_view chain_id) const;               // committed and complete
  std::string path(std::string_view chain_id) const;       // <root>/layers/<hex>
  std::string diff_path(std::string_view chain_id) const;  // <root>/layers/<hex>/diff
  Result<LayerInfo> info(std::string_view chain_id) const;
  Result<std::vector<LayerInfo>> list() const;             // complete layers only

  // Removes one layer (no error if absent). Callers must know it is unused.
  Status remove(std::string_view chain_id);
  // Removes every complete layer whose chain id is not in in_use and that
  // was committed at least min_age_s ago (a concurrent pull commits layers
  // before it records its image), and leftover temp dirs older than an hour
  // (crashed unpacks).
  Result<LayerGcResult> gc(const std::set<std::string>& in_use, int64_t min_age_s = 0);

  const std::string& root() const { return layers_dir_; }  // <images_root>/layers

 private:
  explicit LayerStore(std::string layers_dir) : layers_dir_(std::move(layers_dir)) {}
  std::string layers_dir_;
};

}  // namespace ecsd::image
