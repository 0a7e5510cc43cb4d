// One streaming pass over a compressed layer blob: a libarchive "raw" reader
// decompresses (gzip, zstd or none, told apart by their magic bytes), every
// uncompressed byte is hashed for the diff_id and handed to a second
// libarchive reader that parses the tar. No temporary files. For compressed
// layers, decompression and hashing run in a thread of their own feeding the
// tar reader through a small bounded queue (as `gzip -d | tar x` would), so
// inflating and writing files overlap.
#pragma once

#include <archive.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

enum class Compression { kNone, kGzip, kZstd };

// Pure: the compression named by the first bytes of a blob (gzip 1f 8b,
// zstd 28 b5 2f fd), else what the media type says (…+gzip, …+zstd, …tar),
// else kNone.
Compression detect_compression(std::string_view first_bytes, std::string_view media_type);
std::string_view compression_name(Compression c);

class LayerStream {
 public:
  // Reads from fd (not owned; a file or pipe) until EOF. With hash_compressed,
  // the sha256 of the compressed bytes is computed too.
  static Result<std::unique_ptr<LayerStream>> open(int fd, std::string_view media_type,
                                                   bool hash_compressed);
  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  // The tar reader: archive_read_next_header / archive_read_data_block.
  archive* tar() { return tar_; }
  // The error behind a failed tar call, preferring the decompressor's.
  Error tar_error(std::string_view doing) const;

  // After the tar's end: reads and hashes what is left (padding), checks the
  // compressed stream ended cleanly (gzip CRC, zstd frame) and fixes the digests.
  Status finish();

  const std::string& diff_id() const { return diff_id_; }  // valid after finish()
  const std::string& compressed_digest() const { return compressed_digest_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t compressed_size() const { return compressed_size_; }
  Compression compression() const { return compression_; }

 private:
  LayerStream() = default;
  static la_ssize_t raw_read(archive*, void* self, const void** buf);
  static la_ssize_t tar_read(archive*, void* self, const void** buf);
  // Decompression thread: raw_ -> hashed chunks in queue_.
  void produce();
  la_ssize_t take_chunk(const void** out);
  Status check_trailing();
  std::string raw_error_text() const;

  bool threaded_ = false;  // compressed: produce() runs in producer_
  std::thread producer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<char>> queue_;  // decompressed chunks, bounded
  std::vector<char> current_;            // the chunk the tar reader is on
  bool produced_all_ = false;            // producer finished (see produce_error_)
  bool stop_ = false;                    // consumer gave up: producer exits
  std::string produce_error_;            // non-empty: decompression failed

  int fd_ = -1;
  archive* raw_ = nullptr;
  archive* tar_ = nullptr;
  void* uncompressed_hash_ = nullptr;  // EVP_MD_CTX*
  void* compressed_hash_ = nullptr;    // EVP_MD_CTX*, or null
  std::vector<char> buf_;
  std::string pending_;                // bytes peeked for detection, served first
  bool raw_eof_ = false;
  std::string raw_error_;              // from the read callback
  std::string diff_id_, compressed_digest_;
  std::uint64_t size_ = 0, compressed_size_ = 0;
  Compression compression_ = Compression::kNone;
};

}  // namespace ecsd::image
