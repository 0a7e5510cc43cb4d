#include "runtime/image/layer_stream.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ecsd::image {

namespace {

constexpr size_t kReadSize = 1 << 20;
constexpr size_t kChunkSize = 256 << 10;  // decompressed bytes per queue entry
constexpr size_t kQueueDepth = 8;

std::string hex_digest(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Compression detect_compression(std::string_view b, std::string_view media_type) {
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
      static_cast<unsigned char>(b[1]) == 0x8b) {
    return Compression::kGzip;
  }
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0x28 &&
      static_cast<unsigned char>(b[1]) == 0xb5 && static_cast<unsigned char>(b[2]) == 0x2f &&
      static_cast<unsigned char>(b[3]) == 0xfd) {
    return Compression::kZstd;
  }
  if (b.size() >= 4) return Compression::kNone;  // enough bytes to know it is neither
  if (ends_with(media_type, "gzip")) return Compression::kGzip;
  if (ends_with(media_type, "zstd")) return Compression::kZstd;
  return Compression::kNone;
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kNone: break;
  }
  return "none";
}

la_ssize_t LayerStream::raw_read(archive*, void* self_v, const void** out) {
  auto* self = static_cast<LayerStream*>(self_v);
  if (!self->pending_.empty()) {
    // Served once: the bytes read for detection. Move them into buf_.
    size_t n = self->pending_.size();
    std::memcpy(self->buf_.data(), self->pending_.data(), n);
    self->pending_.clear();
    *out = self->buf_.data();
    return static_cast<la_ssize_t>(n);
  }
  if (self->raw_eof_) return 0;
  for (;;) {
    ssize_t n = ::read(self->fd_, self->buf_.data(), self->buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      self->raw_error_ = Error::sys(errno, "read layer blob").message;
      return -1;
    }
    if (n == 0) self->raw_eof_ = true;
    if (n > 0) {
      self->compressed_size_ += static_cast<std::uint64_t>(n);
      if (self->compressed_hash_) {
        EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(self->compressed_hash_), self->buf_.data(),
                         static_cast<size_t>(n));
      }
    }
    *out = self->buf_.data();
    return n;
  }
}

void LayerStream::produce() {
  std::vector<char> chunk;
  chunk.reserve(kChunkSize);
  auto push = [&](bool last) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stop_ || queue_.size() < kQueueDepth; });
    if (stop_) return false;
    if (!chunk.empty()) queue_.push_back(std::move(chunk));
    chunk = std::vector<char>();
    if (!last) chunk.reserve(kChunkSize);
    cv_.notify_all();
    return true;
  };
  std::string error;
  for (;;) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(raw_, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      error = raw_error_text();
      if (error.empty()) error = "decompressing the layer failed";
      break;
    }
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(uncompressed_hash_), block, size);
    size_ += size;
    const char* p = static_cast<const char*>(block);
    chunk.insert(chunk.end(), p, p + size);
    if (chunk.size() >= kChunkSize && !push(false)) return;
  }
  if (error.empty()) {
    if (auto st = check_trailing(); !st) error = st.error().message;
  }
  if (!push(true)) return;
  std::lock_guard lk(mu_);
  produce_error_ = error.empty() ? std::string() : error;
  produced_all_ = true;
  cv_.notify_all();
}

la_ssize_t LayerStream::take_chunk(const void** out) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !queue_.empty() || produced_all_; });
  if (queue_.empty()) {
    current_.clear();
    return produce_error_.empty() ? 0 : -1;
  }
  current_ = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  *out = current_.data();
  return static_cast<la_ssize_t>(current_.size());
}

Status LayerStream::check_trailing() {
  // Anything still unread in the fd (e.g. a second stream glued on) is an error:
  // the blob digest covers it, so it cannot be silently ignored.
  if (!raw_eof_) {
    char c;
    ssize_t n;
    do n = ::read(fd_, &c, 1); while (n < 0 && errno == EINTR);
    if (n > 0) return fail_invalid("layer blob has trailing data after the compressed stream");
  }
  return {};
}

la_ssize_t LayerStream::tar_read(archive*, void* self_v, const void** out) {
  auto* self = static_cast<LayerStream*>(self_v);
  if (self->threaded_) return self->take_chunk(out);
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  int r = archive_read_data_block(self->raw_, &block, &size, &offset);
  if (r == ARCHIVE_EOF) return 0;
  if (r < ARCHIVE_WARN) return -1;  // tar_error() reports raw_'s message
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(self->uncompressed_hash_), block, size);
  self->size_ += size;
  *out = block;
  return static_cast<la_ssize_t>(size);
}

Result<std::unique_ptr<LayerStream>> LayerStream::open(int fd, std::string_view media_type,
                                                       bool hash_compressed) {
  std::unique_ptr<LayerStream> s(new LayerStream());
  s->fd_ = fd;
  s->buf_.resize(kReadSize);
  s->uncompressed_hash_ = EVP_MD_CTX_new();
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(s->uncompressed_hash_), EVP_sha256(), nullptr);
  if (hash_compressed) {
    s->compressed_hash_ = EVP_MD_CTX_new();
    EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(s->compressed_hash_), EVP_sha256(), nullptr);
  }

  // Peek at the first bytes to name the compression (libarchive bids on the
  // same magic; this only picks which decoders to enable).
  std::string head;
  while (head.size() < 4 && !s->raw_eof_) {
    const void* p = nullptr;
    la_ssize_t n = raw_read(nullptr, s.get(), &p);
    if (n < 0) return fail_invalid(s->raw_error_);
    head.append(static_cast<const char*>(p), static_cast<size_t>(n));
  }
  if (head.empty()) return fail_invalid("layer blob is empty");
  s->compression_ = detect_compression(head, media_type);
  s->pending_ = std::move(head);

  s->raw_ = archive_read_new();
  if (s->compression_ == Compression::kGzip) archive_read_support_filter_gzip(s->raw_);
  if (s->compression_ == Compression::kZstd) archive_read_support_filter_zstd(s->raw_);
  archive_read_support_format_raw(s->raw_);
  if (archive_read_open(s->raw_, s.get(), nullptr, &LayerStream::raw_read, nullptr) != ARCHIVE_OK) {
    return fail_invalid("opening " + std::string(compression_name(s->compression_)) +
                        " layer stream: " + s->tar_error("").message);
  }
  archive_entry* e = nullptr;
  if (archive_read_next_header(s->raw_, &e) != ARCHIVE_OK) {
    return fail_invalid("opening layer stream: " + s->tar_error("").message);
  }
  if (s->compression_ != Compression::kNone && archive_filter_count(s->raw_) < 2) {
    return fail_invalid("layer stream: " + std::string(compression_name(s->compression_)) +
                        " decoder not available");
  }

  if (s->compression_ != Compression::kNone) {
    LayerStream* self = s.get();
    s->threaded_ = true;
    s->producer_ = std::thread([self] { self->produce(); });
  }

  s->tar_ = archive_read_new();
  archive_read_support_format_tar(s->tar_);
  archive_read_support_format_gnutar(s->tar_);
  if (archive_read_open(s->tar_, s.get(), nullptr, &LayerStream::tar_read, nullptr) != ARCHIVE_OK) {
    return fail_invalid("layer is not a tar archive: " + s->tar_error("").message);
  }
  return s;
}

LayerStream::~LayerStream() {
  if (producer_.joinable()) {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    producer_.join();
  }
  if (tar_) archive_read_free(tar_);
  if (raw_) archive_read_free(raw_);
  if (uncompressed_hash_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(uncompressed_hash_));
  if (compressed_hash_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(compressed_hash_));
}

// The decompressor's error (raw_ and the fd), or empty. Only from the thread
// that drives raw_ (the producer while it runs).
std::string LayerStream::raw_error_text() const {
  if (!raw_error_.empty()) return raw_error_;
  if (raw_ && archive_error_string(raw_))
    return std::string(compression_name(compression_)) + " stream: " + archive_error_string(raw_);
  return {};
}

Error LayerStream::tar_error(std::string_view doing) const {
  std::string msg;
  if (threaded_ && std::this_thread::get_id() != producer_.get_id()) {
    // raw_ belongs to the producer while it runs: only its reported error is safe to read.
    std::lock_guard lk(mu_);
    msg = produce_error_;
    if (msg.empty() && !producer_.joinable()) msg = raw_error_text();
  } else {
    msg = raw_error_text();
  }
  if (msg.empty() && tar_ && archive_error_string(tar_)) msg = std::string("tar: ") + archive_error_string(tar_);
  if (msg.empty()) msg = "unknown archive error";
  Error e = Error::invalid(msg);
  if (!doing.empty()) e.context(doing);
  return e;
}

Status LayerStream::finish() {
  // Drain: tar padding after the end-of-archive blocks still counts for the
  // diff_id, and reading to the end makes the decoder check its trailer.
  if (threaded_) {
    for (;;) {
      const void* p = nullptr;
      la_ssize_t n = take_chunk(&p);
      if (n == 0) break;
      if (n < 0) return fail(tar_error("reading the end of the layer"));
    }
    producer_.join();
    diff_id_ = hex_digest(static_cast<EVP_MD_CTX*>(uncompressed_hash_));
    if (compressed_hash_) compressed_digest_ = hex_digest(static_cast<EVP_MD_CTX*>(compressed_hash_));
    return {};
  }
  for (;;) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(raw_, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(tar_error("reading the end of the layer"));
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(uncompressed_hash_), block, size);
    size_ += size;
  }
  ECSD_TRY(check_trailing());
  diff_id_ = hex_digest(static_cast<EVP_MD_CTX*>(uncompressed_hash_));
  if (compressed_hash_) compressed_digest_ = hex_digest(static_cast<EVP_MD_CTX*>(compressed_hash_));
  return {};
}

}  // namespace ecsd::image
