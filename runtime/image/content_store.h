// Content-addressed blob store under an image root (<data-dir>/images):
//   <root>/blobs/sha256/<hex>    verified blobs, read-only once written
//   <root>/ingest/<hex>.<pid>.<n> downloads in progress (never read as blobs)
//   <root>/locks/<hex>.lock       per-digest flock, serialises writers
// A blob appears under blobs/ only by rename() after its sha256 and size
// matched, so a reader never sees a partial or wrong blob. Two processes
// pulling the same image each take the per-digest lock; the second finds the
// blob present and does not download it again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/image/digest.h"

namespace ecsd::image {

// Exclusive flock on <root>/locks/<hex>.lock; released on destruction.
class BlobLock {
 public:
  BlobLock() = default;
  explicit BlobLock(UniqueFd fd) : fd_(std::move(fd)) {}
  bool held() const { return bool(fd_); }

 private:
  UniqueFd fd_;
};

// One blob being written. Bytes are hashed as they are written; commit()
// checks digest and size, fsyncs and renames into place. Destroying an
// uncommitted Ingest removes its temp file.
class Ingest {
 public:
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;
  Ingest(Ingest&&) noexcept;
  Ingest& operator=(Ingest&&) noexcept;
  ~Ingest();

  Status write(const void* data, size_t len);
  int64_t written() const { return written_; }
  // Verify and publish. expected_size < 0 means "any size".
  Status commit();
  // Drop everything written so far (restart from byte 0).
  Status reset();
  const std::string& temp_path() const { return temp_path_; }

 private:
  friend class ContentStore;
  Ingest() = default;
  std::string digest_;
  std::string temp_path_;
  std::string final_path_;
  int64_t expected_size_ = -1;
  int64_t written_ = 0;
  UniqueFd fd_;
  Sha256 hash_;
  bool committed_ = false;
};

struct BlobInfo {
  std::string digest;
  int64_t size = 0;
  int64_t mtime = 0;  // seconds since epoch (last write)
};

class ContentStore {
 public:
  // Creates <root>/blobs/sha256, <root>/ingest, <root>/locks when missing.
  static Result<ContentStore> open(const std::string& root);

  const std::string& root() const { return root_; }
  // <root>/blobs/sha256/<hex>; digest must be valid (checked by callers).
  std::string blob_path(std::string_view digest) const;
  bool has(std::string_view digest) const;
  // Size of a stored blob, or nullopt when absent.
  std::optional<int64_t> size(std::string_view digest) const;

  // Blocks until this process holds the per-digest lock.
  Result<BlobLock> lock(std::string_view digest) const;
  // Start writing a blob (callers should hold lock(digest)).
  Result<Ingest> ingest(std::string_view digest, int64_t expected_size = -1) const;
  // Write a whole small blob (manifest, config) with verification.
  Status put(std::string_view digest, std::string_view data) const;
  // Read a stored blob (at most max_size bytes, else error), re-verifying it.
  Result<std::string> read(std::string_view digest, size_t max_size) const;
  // Remove a blob (under its lock). Absent is not an error.
  Status remove(std::string_view digest) const;
  // All stored blobs.
  Result<std::vector<BlobInfo>> list() const;
  // Remove ingest files older than max_age_seconds (left by crashed pulls).
  Status clean_ingest(int64_t max_age_seconds) const;

 private:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace ecsd::image
