#include "runtime/image/gc.h"

#include <algorithm>

#include "runtime/image/chain_id.h"
#include "runtime/image/image_config.h"
#include "runtime/image/manifest.h"

namespace ecsd::image {

std::vector<std::string> select_images_to_remove(const std::vector<ImageRecord>& recs,
                                                 const std::set<std::string>& in_use, int64_t now,
                                                 int64_t min_age_s, int max_count) {
  std::vector<const ImageRecord*> cand;
  for (const auto& r : recs)
    if (!in_use.count(r.reference) && now - r.last_used >= min_age_s) cand.push_back(&r);
  std::sort(cand.begin(), cand.end(), [](auto* a, auto* b) {
    return a->last_used != b->last_used ? a->last_used < b->last_used : a->reference < b->reference;
  });
  std::vector<std::string> out;
  for (auto* r : cand) {
    if (static_cast<int>(out.size()) >= max_count) break;
    out.push_back(r->reference);
  }
  return out;
}

std::vector<std::string> select_blobs_to_remove(const std::vector<BlobInfo>& blobs,
                                                const std::set<std::string>& referenced, int64_t now,
                                                int64_t min_age_s, int max_count) {
  std::vector<const BlobInfo*> cand;
  for (const auto& b : blobs)
    if (!referenced.count(b.digest) && now - b.mtime >= min_age_s) cand.push_back(&b);
  std::sort(cand.begin(), cand.end(), [](auto* a, auto* b) {
    return a->mtime != b->mtime ? a->mtime < b->mtime : a->digest < b->digest;
  });
  std::vector<std::string> out;
  for (auto* b : cand) {
    if (max_count > 0 && static_cast<int>(out.size()) >= max_count) break;
    out.push_back(b->digest);
  }
  return out;
}

namespace {

// ChainIDs of an image, from its stored config (empty when unreadable).
std::vector<std::string> image_chain_ids(const ContentStore& store, const ImageRecord& r) {
  auto cfg = store.read(r.config_digest, kMaxConfigBytes);
  if (!cfg) return {};
  auto parsed = parse_image_config(*cfg);
  if (!parsed) return {};
  auto chains = chain_ids(parsed->diff_ids);
  return chains ? *chains : std::vector<std::string>{};
}

Status remove_blobs(const ContentStore& store, const std::vector<std::string>& digests, GcResult& out) {
  for (const auto& d : digests) {
    int64_t sz = store.size(d).value_or(0);
    ECSD_TRY(store.remove(d));
    out.removed_blobs.push_back(d);
    out.bytes_freed += sz;
  }
  return {};
}

}  // namespace

Result<GcResult> collect_garbage(const ContentStore& store, ImageIndex& index, LayerStore* layers,
                                 const GcOptions& opts, int64_t now) {
  GcResult out;
  auto recs = index.list();
  if (!recs) return fail(recs.error());
  if (opts.max_images_per_run > 0) {
    for (const auto& ref : select_images_to_remove(*recs, opts.in_use, now, opts.min_image_age_s,
                                                   opts.max_images_per_run)) {
      auto r = index.remove(ref);
      if (!r) return fail(r.error());
      if (*r) out.removed_images.push_back(ref);
    }
    recs = index.list();
    if (!recs) return fail(recs.error());
  }
  std::set<std::string> referenced;
  std::set<std::string> chains_in_use;
  for (const auto& r : *recs) {
    for (auto& b : r.blobs()) referenced.insert(b);
    if (layers)
      for (auto& c : image_chain_ids(store, r)) chains_in_use.insert(c);
  }
  auto blobs = store.list();
  if (!blobs) return fail(blobs.error());
  ECSD_TRY(remove_blobs(store,
                        select_blobs_to_remove(*blobs, referenced, now, opts.min_blob_age_s, opts.max_blobs_per_run),
                        out));
  ECSD_TRY(store.clean_ingest(24 * 3600));
  if (layers) {
    auto g = layers->gc(chains_in_use, opts.min_blob_age_s);
    if (!g) return fail(g.error());
    out.removed_layers = g->removed;
  }
  return out;
}

Result<GcResult> remove_image(const ContentStore& store, ImageIndex& index, LayerStore* layers,
                              const std::string& reference) {
  GcResult out;
  auto rec = index.get(reference);
  if (!rec) return fail(rec.error());
  if (!*rec) return fail_invalid("no such image: " + reference);
  // Chain ids before the config blob goes.
  std::vector<std::string> chains = layers ? image_chain_ids(store, **rec) : std::vector<std::string>{};
  auto removed = index.remove(reference);
  if (!removed) return fail(removed.error());
  if (!*removed) return fail_invalid("no such image: " + reference);
  out.removed_images.push_back(reference);

  auto recs = index.list();
  if (!recs) return fail(recs.error());
  std::set<std::string> referenced;
  std::set<std::string> chains_in_use;
  for (const auto& r : *recs) {
    for (auto& b : r.blobs()) referenced.insert(b);
    if (layers)
      for (auto& c : image_chain_ids(store, r)) chains_in_use.insert(c);
  }
  std::vector<std::string> to_remove;
  for (auto& b : (*removed)->blobs())
    if (!referenced.count(b) && store.has(b)) to_remove.push_back(b);
  ECSD_TRY(remove_blobs(store, to_remove, out));
  if (layers) {
    for (auto& c : chains) {
      if (chains_in_use.count(c) || !layers->has(c)) continue;
      ECSD_TRY(layers->remove(c));
      out.removed_layers.push_back(c);
    }
  }
  return out;
}

}  // namespace ecsd::image
