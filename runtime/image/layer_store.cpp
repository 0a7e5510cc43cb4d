#include "runtime/image/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/unique_fd.h"
#include "runtime/image/chain_id.h"
#include "runtime/image/digest.h"
#include "runtime/image/fs_tree.h"
#include "runtime/image/layer_unpack.h"

namespace ecsd::image {

namespace {

constexpr char kTmpDir[] = ".tmp";
constexpr char kLockDir[] = ".locks";
constexpr char kMetaFile[] = "layer.json";
constexpr char kCompleteFile[] = "complete";
constexpr char kDiffDir[] = "diff";
constexpr std::time_t kStaleTempSeconds = 3600;

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

// Exclusive flock on <layers>/.locks/<hex>, released when the fd closes.
Result<UniqueFd> lock_layer(const std::string& layers_dir, std::string_view hex) {
  std::string p = layers_dir + "/" + kLockDir + "/" + std::string(hex);
  UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return fail_sys(errno, "open layer lock", p);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_sys(errno, "lock", p);
  }
  return fd;
}

Result<std::string> make_temp_dir(const std::string& layers_dir, const char* prefix) {
  std::string tmpl = layers_dir + "/" + kTmpDir + "/" + prefix + "XXXXXX";
  if (!::mkdtemp(tmpl.data())) return fail_sys(errno, "create temp dir", tmpl);
  return tmpl;
}

}  // namespace

// ---- UnpackedLayer ----

UnpackedLayer::UnpackedLayer(std::string temp_dir, std::string diff_id, std::uint64_t size,
                             std::uint64_t compressed_size)
    : temp_dir_(std::move(temp_dir)),
      diff_id_(std::move(diff_id)),
      size_(size),
      compressed_size_(compressed_size) {}

UnpackedLayer::UnpackedLayer(UnpackedLayer&& o) noexcept
    : temp_dir_(std::exchange(o.temp_dir_, {})),
      diff_id_(std::move(o.diff_id_)),
      size_(o.size_),
      compressed_size_(o.compressed_size_) {}

UnpackedLayer& UnpackedLayer::operator=(UnpackedLayer&& o) noexcept {
  if (this != &o) {
    abandon();
    temp_dir_ = std::exchange(o.temp_dir_, {});
    diff_id_ = std::move(o.diff_id_);
    size_ = o.size_;
    compressed_size_ = o.compressed_size_;
  }
  return *this;
}

UnpackedLayer::~UnpackedLayer() { abandon(); }

void UnpackedLayer::abandon() {
  if (temp_dir_.empty()) return;
  (void)remove_tree(temp_dir_);
  temp_dir_.clear();
}

std::string UnpackedLayer::release() { return std::exchange(temp_dir_, {}); }

// ---- LayerStore ----

Result<LayerStore> LayerStore::open(const std::string& images_root) {
  std::string layers = images_root + "/layers";
  ECSD_TRY(make_dirs(layers + "/" + kTmpDir, 0700));
  ECSD_TRY(make_dirs(layers + "/" + kLockDir, 0700));
  ::chmod(layers.c_str(), 0700);  // layer contents include setuid files
  return LayerStore(layers);
}

Result<UnpackedLayer> LayerStore::unpack_from_fd(int fd, const UnpackOptions& opts) const {
  auto tmp = make_temp_dir(layers_dir_, "unpack-");
  if (!tmp) return std::unexpected(tmp.error());
  // Owned from here on: any early return removes it.
  UnpackedLayer guard(*tmp, "", 0, 0);
  std::string diff = *tmp + "/" + kDiffDir;
  if (::mkdir(diff.c_str(), 0755) != 0) return fail_sys(errno, "mkdir", diff);
  if (::chmod(diff.c_str(), 0755) != 0) return fail_sys(errno, "chmod", diff);
  LayerUnpackOptions lo;
  lo.media_type = opts.media_type;
  auto r = unpack_layer(fd, diff, lo);
  if (!r) return fail(r.error());
  if (!opts.expected_diff_id.empty() && r->diff_id != opts.expected_diff_id) {
    return fail_invalid("diff_id " + r->diff_id + " does not match " +
                        opts.expected_diff_id + " from the image config");
  }
  return UnpackedLayer(guard.release(), r->diff_id, r->size, r->compressed_size);
}

Result<UnpackedLayer> LayerStore::unpack_file(const std::string& blob_path,
                                              const UnpackOptions& opts) const {
  UniqueFd fd(::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_sys(errno, "open layer blob", blob_path);
  auto r = unpack_from_fd(fd.get(), opts);
  if (!r) return fail(r.error().with_context(blob_path));
  return r;
}

Result<std::string> LayerStore::commit(std::string_view parent_chain_id, UnpackedLayer&& layer_in) {
  UnpackedLayer layer = std::move(layer_in);  // abandoned on every early return
  if (layer.empty()) return fail_invalid("commit: layer is empty (already committed?)");
  auto chain = chain_id(parent_chain_id, layer.diff_id());
  if (!chain) return std::unexpected(chain.error());
  std::string hex(digest_hex(*chain));

  nlohmann::json meta = {{"chain_id", *chain},
                         {"diff_id", layer.diff_id()},
                         {"parent", std::string(parent_chain_id)},
                         {"size", layer.size()}};
  ECSD_TRY(write_file_atomic(layer.temp_dir() + "/" + kMetaFile, meta.dump() + "\n"));
  ECSD_TRY(write_file_atomic(layer.temp_dir() + "/" + kCompleteFile, *chain + "\n"));

  auto lock = lock_layer(layers_dir_, hex);
  if (!lock) return std::unexpected(lock.error());
  if (has(*chain)) return *chain;  // someone else was first; ours is dropped
  std::string final_path = path(*chain);
  if (exists(final_path)) {
    // An incomplete leftover (a remove that crashed half way): move it aside.
    auto trash = make_temp_dir(layers_dir_, "remove-");
    if (!trash) return std::unexpected(trash.error());
    std::string aside = *trash + "/layer";
    if (::rename(final_path.c_str(), aside.c_str()) != 0) return fail_sys(errno, "rename", final_path);
    (void)remove_tree(*trash);
  }
  if (::rename(layer.temp_dir().c_str(), final_path.c_str()) != 0) {
    return fail_sys(errno, "rename " + layer.temp_dir() + " to", final_path);
  }
  layer.release();
  UniqueFd d(::open(layers_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d) ::fsync(d.get());
  return *chain;
}

void LayerStore::abandon(UnpackedLayer&& layer) const {
  UnpackedLayer l = std::move(layer);
  l.abandon();
}

std::string LayerStore::path(std::string_view chain_id) const {
  return layers_dir_ + "/" + std::string(digest_hex(chain_id));
}

std::string LayerStore::diff_path(std::string_view chain_id) const {
  return path(chain_id) + "/" + kDiffDir;
}

bool LayerStore::has(std::string_view chain_id) const {
  if (!validate_digest(chain_id)) return false;
  return exists(path(chain_id) + "/" + kCompleteFile);
}

Result<LayerInfo> LayerStore::info(std::string_view chain_id) const {
  ECSD_TRY(validate_digest(chain_id));
  if (!has(chain_id)) return fail_sys(ENOENT, "layer", chain_id);
  auto text = read_file(path(chain_id) + "/" + kMetaFile);
  if (!text) return std::unexpected(text.error());
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail_invalid("layer " + std::string(chain_id) + ": corrupt " + kMetaFile);
  }
  LayerInfo li;
  li.chain_id = j.value("chain_id", "");
  li.diff_id = j.value("diff_id", "");
  li.parent = j.value("parent", "");
  li.size = j.value("size", std::uint64_t{0});
  if (li.chain_id != chain_id) {
    return fail_invalid("layer " + std::string(chain_id) + ": " + kMetaFile + " names " + li.chain_id);
  }
  return li;
}

Result<std::vector<LayerInfo>> LayerStore::list() const {
  std::vector<LayerInfo> out;
  DIR* d = ::opendir(layers_dir_.c_str());
  if (!d) return fail_sys(errno, "open", layers_dir_);
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n.size() == 64) names.push_back(n);
  }
  ::closedir(d);
  for (const auto& n : names) {
    std::string chain = "sha256:" + n;
    if (!has(chain)) continue;
    auto li = info(chain);
    if (li) out.push_back(std::move(*li));
  }
  return out;
}

Status LayerStore::remove(std::string_view chain_id) {
  ECSD_TRY(validate_digest(chain_id));
  std::string hex(digest_hex(chain_id));
  auto lock = lock_layer(layers_dir_, hex);
  if (!lock) return std::unexpected(lock.error());
  std::string p = path(chain_id);
  if (!exists(p)) return {};
  // Disappear atomically (rename), then delete at leisure.
  auto trash = make_temp_dir(layers_dir_, "remove-");
  if (!trash) return std::unexpected(trash.error());
  std::string aside = *trash + "/layer";
  if (::rename(p.c_str(), aside.c_str()) != 0) {
    int e = errno;
    (void)remove_tree(*trash);
    return fail_sys(e, "rename", p);
  }
  lock->reset();
  // The lock file stays: unlinking it would let a waiter and a newcomer
  // lock two different files.
  return remove_tree(*trash);
}

Result<LayerGcResult> LayerStore::gc(const std::set<std::string>& in_use, int64_t min_age_s) {
  LayerGcResult res;
  auto layers = list();
  if (!layers) return std::unexpected(layers.error());
  std::time_t now_s = std::time(nullptr);
  for (const auto& l : *layers) {
    if (in_use.count(l.chain_id)) continue;
    if (min_age_s > 0) {
      // Young layers may belong to a pull whose image record is not written
      // yet: keep them (age = when the layer was committed).
      struct stat st;
      std::string complete = layers_dir_ + "/" + std::string(digest_hex(l.chain_id)) + "/" + kCompleteFile;
      if (::stat(complete.c_str(), &st) == 0 && now_s - st.st_mtime < min_age_s) continue;
    }
    ECSD_TRY(remove(l.chain_id));
    res.removed.push_back(l.chain_id);
    res.bytes_freed += l.size;
  }
  // Temp dirs of unpacks that crashed.
  std::string tmp = layers_dir_ + "/" + kTmpDir;
  DIR* d = ::opendir(tmp.c_str());
  if (!d) return fail_sys(errno, "open", tmp);
  std::vector<std::string> stale;
  std::time_t now = std::time(nullptr);
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (now - st.st_mtime > kStaleTempSeconds) stale.push_back(tmp + "/" + n);
  }
  ::closedir(d);
  for (const auto& s : stale) ECSD_TRY(remove_tree(s));
  return res;
}

}  // namespace ecsd::image
