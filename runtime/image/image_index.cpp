#include "runtime/image/image_index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/unique_fd.h"

namespace ecsd::image {

using nlohmann::json;

std::vector<std::string> ImageRecord::blobs() const {
  std::vector<std::string> out;
  if (!index_digest.empty()) out.push_back(index_digest);
  if (!manifest_digest.empty()) out.push_back(manifest_digest);
  if (!config_digest.empty()) out.push_back(config_digest);
  for (const auto& l : layers) out.push_back(l.digest);
  return out;
}

ImageRecord record_from_pull(const PulledImage& img, std::string index_digest, int64_t manifest_size, int64_t now) {
  ImageRecord r;
  r.reference = img.reference;
  r.index_digest = std::move(index_digest);
  r.manifest_digest = img.manifest_digest;
  r.config_digest = img.config_digest;
  r.layers = img.layers;
  r.size = manifest_size + static_cast<int64_t>(img.config_json.size());
  for (const auto& l : img.layers) r.size += l.size;
  r.pulled_at = now;
  r.last_used = now;
  return r;
}

Result<std::vector<ImageRecord>> ImageIndex::parse(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("images") || !j["images"].is_array())
    return fail_invalid("image index is not {\"images\": [...]}");
  std::vector<ImageRecord> out;
  try {
    for (const auto& e : j["images"]) {
      ImageRecord r;
      r.reference = e.at("reference").get<std::string>();
      r.index_digest = e.value("index_digest", "");
      r.manifest_digest = e.at("manifest_digest").get<std::string>();
      r.config_digest = e.at("config_digest").get<std::string>();
      for (const auto& l : e.at("layers"))
        r.layers.push_back({l.at("digest").get<std::string>(), l.value("media_type", ""), l.value("size", int64_t{0})});
      r.size = e.value("size", int64_t{0});
      r.pulled_at = e.value("pulled_at", int64_t{0});
      r.last_used = e.value("last_used", r.pulled_at);
      out.push_back(std::move(r));
    }
  } catch (const json::exception& ex) {
    return fail_invalid(std::string("image index: ") + ex.what());
  }
  return out;
}

std::string ImageIndex::serialize(const std::vector<ImageRecord>& recs) {
  json arr = json::array();
  for (const auto& r : recs) {
    json layers = json::array();
    for (const auto& l : r.layers) layers.push_back({{"digest", l.digest}, {"media_type", l.media_type}, {"size", l.size}});
    json e = {{"reference", r.reference},         {"manifest_digest", r.manifest_digest},
              {"config_digest", r.config_digest}, {"layers", layers},
              {"size", r.size},                   {"pulled_at", r.pulled_at},
              {"last_used", r.last_used}};
    if (!r.index_digest.empty()) e["index_digest"] = r.index_digest;
    arr.push_back(std::move(e));
  }
  return json{{"images", arr}}.dump(1) + "\n";
}

namespace {

Result<UniqueFd> lock_index(const std::string& root, int op) {
  if (auto st = make_dirs(root + "/locks", 0700); !st) return fail(st.error());
  std::string p = root + "/locks/images.lock";
  UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_sys(errno, "open lock file", p);
  while (::flock(fd.get(), op) != 0)
    if (errno != EINTR) return fail_sys(errno, "flock", p);
  return fd;
}

Result<std::vector<ImageRecord>> load(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return std::vector<ImageRecord>();
  auto text = read_file(path);
  if (!text) return fail(text.error());
  auto r = ImageIndex::parse(*text);
  if (!r) return fail(r.error().with_context(path));
  return r;
}

}  // namespace

Result<std::vector<ImageRecord>> ImageIndex::list() const {
  auto lk = lock_index(root_, LOCK_SH);
  if (!lk) return fail(lk.error());
  return load(path());
}

Result<std::optional<ImageRecord>> ImageIndex::get(std::string_view reference) const {
  auto all = list();
  if (!all) return fail(all.error());
  for (auto& r : *all)
    if (r.reference == reference) return std::optional<ImageRecord>(std::move(r));
  return std::optional<ImageRecord>();
}

template <typename F>
Status ImageIndex::modify(F&& f) {
  auto lk = lock_index(root_, LOCK_EX);
  if (!lk) return fail(lk.error());
  auto all = load(path());
  if (!all) return fail(all.error());
  if (!f(*all)) return {};
  return write_file_atomic(path(), serialize(*all), 0600);
}

Status ImageIndex::put(const ImageRecord& rec) {
  return modify([&](std::vector<ImageRecord>& all) {
    auto it = std::find_if(all.begin(), all.end(), [&](auto& r) { return r.reference == rec.reference; });
    if (it == all.end()) all.push_back(rec);
    else *it = rec;
    return true;
  });
}

Status ImageIndex::touch(std::string_view reference, int64_t now) {
  return modify([&](std::vector<ImageRecord>& all) {
    for (auto& r : all)
      if (r.reference == reference) {
        r.last_used = now;
        return true;
      }
    return false;
  });
}

Result<std::optional<ImageRecord>> ImageIndex::remove(std::string_view reference) {
  std::optional<ImageRecord> removed;
  auto st = modify([&](std::vector<ImageRecord>& all) {
    auto it = std::find_if(all.begin(), all.end(), [&](auto& r) { return r.reference == reference; });
    if (it == all.end()) return false;
    removed = *it;
    all.erase(it);
    return true;
  });
  if (!st) return fail(st.error());
  return removed;
}

}  // namespace ecsd::image
