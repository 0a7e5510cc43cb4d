#include "agent/engine/images.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "common/file_util.h"
#include "runtime/image/chain_id.h"
#include "runtime/image/credentials.h"
#include "runtime/image/manifest.h"
#include "runtime/image/puller.h"
#include "runtime/image/reference.h"
#include "runtime/image/registry_client.h"
#include "runtime/image/rootfs.h"
#include "runtime/image/puller_unpack.h"

namespace ecsd::engine {

using namespace ecsd::image;

Images::Images(std::string root, ContentStore blobs, LayerStore layers, PullPolicy policy)
    : root_(std::move(root)), blobs_(std::move(blobs)), layers_(std::move(layers)), index_(root_), policy_(policy) {}

Result<std::unique_ptr<Images>> Images::open(const std::string& images_root, PullPolicy policy) {
  auto blobs = ContentStore::open(images_root);
  if (!blobs) return fail(blobs.error());
  auto layers = LayerStore::open(images_root);
  if (!layers) return fail(layers.error());
  return std::unique_ptr<Images>(new Images(images_root, std::move(*blobs), std::move(*layers), policy));
}

std::mutex& Images::lock_for(const std::string& ref) {
  std::lock_guard g(mu_);
  auto& p = ref_locks_[ref];
  if (!p) p = std::make_unique<std::mutex>();
  return *p;
}

Result<ReadyImage> Images::ready_from_record(const ImageRecord& rec) {
  auto cfg_text = blobs_.read(rec.config_digest, kMaxConfigBytes);
  if (!cfg_text) return fail(cfg_text.error());
  auto cfg = parse_image_config(*cfg_text);
  if (!cfg) return fail(cfg.error().with_context("image config of " + rec.reference));
  ReadyImage r;
  r.reference = rec.reference;
  r.manifest_digest = rec.manifest_digest;
  r.config = std::move(*cfg);
  auto chains = chain_ids(r.config.diff_ids);
  if (!chains) return fail(chains.error().with_context("image " + rec.reference));
  r.chain_ids = std::move(*chains);
  return r;
}

Result<ReadyImage> Images::cached(const std::string& text) {
  auto ref = parse_reference(text);
  if (!ref) return fail(ref.error());
  auto rec = index_.get(ref->str());
  if (!rec) return fail(rec.error());
  if (!*rec) return fail_invalid("image " + ref->str() + " is not in the local store");
  auto r = ready_from_record(**rec);
  if (!r) return r;
  for (const auto& c : r->chain_ids)
    if (!layers_.has(c)) return fail_invalid("image " + ref->str() + ": layer " + c + " is not unpacked");
  return r;
}

Result<ReadyImage> Images::ensure(const std::string& text) {
  auto ref = parse_reference(text);
  if (!ref) return fail(ref.error());
  std::lock_guard g(lock_for(ref->str()));
  auto cached_rec = index_.get(ref->str());
  if (!cached_rec) return fail(cached_rec.error());
  std::optional<ImageRecord> cached = *cached_rec;
  if (cached)
    for (auto& b : cached->blobs())
      if (!blobs_.has(b)) {
        cached.reset();
        break;
      }
  auto creds = std::make_shared<ChainCredentialProvider>();
  if (extra_credentials_) creds->add(extra_credentials_);
  if (const char* dc = std::getenv("DOCKER_CONFIG"); dc && *dc)
    creds->add(std::make_shared<FileCredentialProvider>(std::string(dc) + "/config.json"));
  else if (const char* home = std::getenv("HOME"); home && *home)
    creds->add(std::make_shared<FileCredentialProvider>(std::string(home) + "/.docker/config.json"));
  RegistryOptions ro;
  ro.credentials = creds;
  if (const char* ins = std::getenv("ECSD_INSECURE_REGISTRIES"); ins && *ins) {
    std::string s = ins;
    size_t start = 0;
    while (start <= s.size()) {
      size_t c = s.find(',', start);
      std::string h = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
      if (!h.empty()) ro.insecure_registries.push_back(normalize_registry_host(h));
      if (c == std::string::npos) break;
      start = c + 1;
    }
  }
  auto do_pull = [&](const ImageRecord* from_cache) -> Result<ImageRecord> {
    RegistryClient client(ro);
    Puller puller(blobs_, client);
    StoreLayerConsumer consumer(layers_);
    PullOptions po;
    po.consumer = &consumer;
    Reference pull_ref = *ref;
    if (from_cache) pull_ref.digest = from_cache->manifest_digest;
    std::string index_digest;
    auto img = puller.pull(pull_ref, po, &index_digest);
    if (!img) return fail(img.error());
    img->reference = ref->str();
    auto msize = blobs_.size(img->manifest_digest).value_or(0);
    auto rec = record_from_pull(*img, index_digest.empty() && from_cache ? from_cache->index_digest : index_digest,
                                msize, static_cast<int64_t>(::time(nullptr)));
    if (from_cache) rec.pulled_at = from_cache->pulled_at;
    ECSD_TRY(index_.put(rec));
    return rec;
  };
  auto out = ensure_image(policy_, cached, [&] { return do_pull(nullptr); });
  if (!out) return fail(out.error());
  auto ready = ready_from_record(out->record);
  if (!ready) return ready;
  if (!out->pulled) {
    bool missing = false;
    for (const auto& c : ready->chain_ids) missing |= !layers_.has(c);
    if (missing) {
      auto again = do_pull(&out->record);
      if (!again) return fail(again.error());
    }
  }
  // last_used only orders image cleanup (hours): rewriting and fsyncing the
  // index on every start of a cached image costs ~15 ms on the start path.
  if (int64_t now = static_cast<int64_t>(::time(nullptr)); out->pulled || now - out->record.last_used >= 60)
    index_.touch(out->record.reference, now);
  ready->pulled = out->pulled;
  if (out->pull_error) ready->warning = out->pull_error->message;
  return ready;
}

Status Images::mount_rootfs(const ReadyImage& img, const std::string& scratch_dir, const std::string& target) {
  ECSD_TRY(make_dirs(target, 0755));
  ECSD_TRY(unmount_if_mounted(target));
  auto m = mount_image_rootfs(layers_, img.chain_ids, scratch_dir, target);
  if (!m) return fail(m.error());
  m->disown();
  return {};
}

Status unmount_if_mounted(const std::string& target) {
  for (int i = 0; i < 8; ++i) {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) return {};
    if (errno == EBUSY) {
      if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    }
    return fail_sys(errno, "unmount", target);
  }
  return {};
}

}  // namespace ecsd::engine
