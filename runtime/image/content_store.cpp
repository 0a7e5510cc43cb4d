#include "runtime/image/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>

#include "common/file_util.h"

namespace ecsd::image {

namespace {

std::atomic<unsigned> g_ingest_counter{0};

Status write_all(int fd, const void* data, size_t len, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys(errno, "write", path);
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_sys(errno, "open directory", dir);
  if (::fsync(fd.get()) != 0) return fail_sys(errno, "fsync directory", dir);
  return {};
}

}  // namespace

// ---- Ingest ----

Ingest::Ingest(Ingest&& o) noexcept
    : digest_(std::move(o.digest_)),
      temp_path_(std::move(o.temp_path_)),
      final_path_(std::move(o.final_path_)),
      expected_size_(o.expected_size_),
      written_(o.written_),
      fd_(std::move(o.fd_)),
      hash_(std::move(o.hash_)),
      committed_(o.committed_) {
  o.temp_path_.clear();
  o.committed_ = true;
}

Ingest& Ingest::operator=(Ingest&& o) noexcept {
  if (this != &o) {
    if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
    digest_ = std::move(o.digest_);
    temp_path_ = std::move(o.temp_path_);
    final_path_ = std::move(o.final_path_);
    expected_size_ = o.expected_size_;
    written_ = o.written_;
    fd_ = std::move(o.fd_);
    hash_ = std::move(o.hash_);
    committed_ = o.committed_;
    o.temp_path_.clear();
    o.committed_ = true;
  }
  return *this;
}

Ingest::~Ingest() {
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Status Ingest::write(const void* data, size_t len) {
  if (committed_) return fail_invalid("write to committed blob " + digest_);
  if (expected_size_ >= 0 && written_ + static_cast<int64_t>(len) > expected_size_)
    return fail_invalid("blob " + digest_ + " is larger than the " + std::to_string(expected_size_) +
                        " bytes its descriptor declares");
  ECSD_TRY(write_all(fd_.get(), data, len, temp_path_));
  hash_.update(data, len);
  written_ += static_cast<int64_t>(len);
  return {};
}

Status Ingest::reset() {
  if (::ftruncate(fd_.get(), 0) != 0) return fail_sys(errno, "truncate", temp_path_);
  if (::lseek(fd_.get(), 0, SEEK_SET) < 0) return fail_sys(errno, "seek", temp_path_);
  hash_.reset();
  written_ = 0;
  return {};
}

Status Ingest::commit() {
  if (committed_) return fail_invalid("blob " + digest_ + " committed twice");
  if (expected_size_ >= 0 && written_ != expected_size_)
    return fail_invalid("blob " + digest_ + " size mismatch: expected " + std::to_string(expected_size_) +
                        " bytes, got " + std::to_string(written_));
  std::string got = hash_.digest();
  if (got != digest_) return fail_invalid("blob digest mismatch: expected " + digest_ + ", got " + got);
  if (::fsync(fd_.get()) != 0) return fail_sys(errno, "fsync", temp_path_);
  if (::fchmod(fd_.get(), 0444) != 0) return fail_sys(errno, "chmod", temp_path_);
  fd_.reset();
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) return fail_sys(errno, "rename into place", final_path_);
  committed_ = true;
  auto dir = final_path_.substr(0, final_path_.rfind('/'));
  return fsync_dir(dir);
}

// ---- ContentStore ----

Result<ContentStore> ContentStore::open(const std::string& root) {
  for (const char* sub : {"/blobs/sha256", "/ingest", "/locks"}) {
    if (auto st = make_dirs(root + sub, 0700); !st) return fail(st.error().with_context("opening content store"));
  }
  return ContentStore(root);
}

std::string ContentStore::blob_path(std::string_view digest) const {
  return root_ + "/blobs/sha256/" + std::string(digest_hex(digest));
}

bool ContentStore::has(std::string_view digest) const {
  if (!validate_digest(digest)) return false;
  struct stat st;
  return ::stat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::optional<int64_t> ContentStore::size(std::string_view digest) const {
  if (!validate_digest(digest)) return std::nullopt;
  struct stat st;
  if (::stat(blob_path(digest).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<int64_t>(st.st_size);
}

Result<BlobLock> ContentStore::lock(std::string_view digest) const {
  ECSD_TRY(validate_digest(digest));
  std::string path = root_ + "/locks/" + std::string(digest_hex(digest)) + ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_sys(errno, "open lock file", path);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_sys(errno, "flock", path);
  }
  return BlobLock(std::move(fd));
}

Result<Ingest> ContentStore::ingest(std::string_view digest, int64_t expected_size) const {
  ECSD_TRY(validate_digest(digest));
  Ingest in;
  in.digest_ = std::string(digest);
  in.final_path_ = blob_path(digest);
  in.expected_size_ = expected_size;
  in.temp_path_ = root_ + "/ingest/" + std::string(digest_hex(digest)) + "." + std::to_string(::getpid()) + "." +
                  std::to_string(g_ingest_counter.fetch_add(1));
  in.fd_ = UniqueFd(::open(in.temp_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!in.fd_) {
    int e = errno;
    in.temp_path_.clear();
    return fail_sys(e, "create ingest file", root_ + "/ingest");
  }
  in.committed_ = false;
  return in;
}

Status ContentStore::put(std::string_view digest, std::string_view data) const {
  auto lk = lock(digest);
  if (!lk) return fail(lk.error());
  if (has(digest)) return {};
  auto in = ingest(digest, static_cast<int64_t>(data.size()));
  if (!in) return fail(in.error());
  ECSD_TRY(in->write(data.data(), data.size()));
  return in->commit();
}

Result<std::string> ContentStore::read(std::string_view digest, size_t max_size) const {
  ECSD_TRY(validate_digest(digest));
  std::string path = blob_path(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_sys(errno, "open blob", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail_sys(errno, "stat blob", path);
  if (static_cast<uint64_t>(st.st_size) > max_size)
    return fail_invalid("blob " + std::string(digest) + " is " + std::to_string(st.st_size) +
                        " bytes, more than the limit of " + std::to_string(max_size));
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys(errno, "read blob", path);
    if (n == 0) break;
    off += static_cast<size_t>(n);
  }
  data.resize(off);
  if (sha256_digest(data) != digest) return fail_invalid("stored blob " + path + " does not match its digest");
  return data;
}

Status ContentStore::remove(std::string_view digest) const {
  auto lk = lock(digest);
  if (!lk) return fail(lk.error());
  std::string path = blob_path(digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_sys(errno, "remove blob", path);
  return {};
}

Result<std::vector<BlobInfo>> ContentStore::list() const {
  std::string dir = root_ + "/blobs/sha256";
  std::vector<BlobInfo> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_sys(errno, "open directory", dir);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    std::string digest = "sha256:" + name;
    if (!validate_digest(digest)) continue;
    struct stat st;
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({digest, static_cast<int64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
  }
  ::closedir(d);
  return out;
}

Status ContentStore::clean_ingest(int64_t max_age_seconds) const {
  std::string dir = root_ + "/ingest";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_sys(errno, "open directory", dir);
  int64_t now = static_cast<int64_t>(::time(nullptr));
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (now - static_cast<int64_t>(st.st_mtime) >= max_age_seconds) ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
  return {};
}

}  // namespace ecsd::image
