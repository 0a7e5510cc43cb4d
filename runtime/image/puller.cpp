#include "runtime/image/puller.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ecsd::image {

namespace {

// Blocks SIGPIPE in this thread so a consumer that stops reading gives EPIPE
// instead of killing the process; restores the mask on destruction.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeBlock() {
    // Consume a SIGPIPE raised by our writes before unblocking.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

Status write_pipe(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return fail_invalid("layer unpack stopped reading");
      return fail_sys(errno, "write to unpack pipe");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

void touch(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

}  // namespace

Result<PulledImage> Puller::pull(const Reference& ref, const PullOptions& opts, std::string* index_digest) {
  PulledImage img;
  img.reference = ref.str();
  auto top = client_.get_manifest(ref, ref.manifest_ref(), kMaxManifestBytes);
  if (!top) return fail(top.error().with_context("pulling " + ref.str()));
  auto parsed = parse_manifest(top->body, top->content_type);
  if (!parsed) return fail(parsed.error().with_context("pulling " + ref.str()));
  FetchedManifest manifest = std::move(*top);
  if (parsed->is_index) {
    if (auto st = store_.put(manifest.digest, manifest.body); !st) return fail(st.error());
    if (index_digest) *index_digest = manifest.digest;
    auto pick = select_platform(parsed->manifests, opts.platform);
    if (!pick) return fail(pick.error().with_context("pulling " + ref.str()));
    if (pick->size > static_cast<int64_t>(kMaxManifestBytes))
      return fail_invalid("pulling " + ref.str() + ": manifest " + pick->digest + " is larger than the limit");
    auto m = client_.get_manifest(ref, pick->digest, kMaxManifestBytes);
    if (!m) return fail(m.error().with_context("pulling " + ref.str()));
    if (static_cast<int64_t>(m->body.size()) != pick->size)
      return fail_invalid("pulling " + ref.str() + ": manifest " + pick->digest + " has " +
                          std::to_string(m->body.size()) + " bytes, the index says " + std::to_string(pick->size));
    auto p2 = parse_manifest(m->body, m->content_type);
    if (!p2) return fail(p2.error().with_context("pulling " + ref.str()));
    if (p2->is_index) return fail_invalid("pulling " + ref.str() + ": nested image indexes are not supported");
    parsed = std::move(p2);
    manifest = std::move(*m);
  }
  if (auto st = store_.put(manifest.digest, manifest.body); !st) return fail(st.error());
  touch(store_.blob_path(manifest.digest));
  img.manifest_digest = manifest.digest;
  img.config_digest = parsed->config.digest;
  if (parsed->config.size > static_cast<int64_t>(kMaxConfigBytes))
    return fail_invalid("pulling " + ref.str() + ": image config is " + std::to_string(parsed->config.size) +
                        " bytes, more than the limit of " + std::to_string(kMaxConfigBytes));

  // Config: from the store, else from the registry.
  if (store_.has(img.config_digest)) {
    auto c = store_.read(img.config_digest, kMaxConfigBytes);
    if (!c) return fail(c.error());
    img.config_json = std::move(*c);
    touch(store_.blob_path(img.config_digest));
  } else {
    auto c = client_.get_blob(ref, img.config_digest, kMaxConfigBytes);
    if (!c) return fail(c.error().with_context("pulling " + ref.str() + " config"));
    if (static_cast<int64_t>(c->size()) != parsed->config.size)
      return fail_invalid("pulling " + ref.str() + ": config " + img.config_digest + " size mismatch");
    if (auto st = store_.put(img.config_digest, *c); !st) return fail(st.error());
    img.config_json = std::move(*c);
  }
  int64_t total = 0;
  for (const auto& l : parsed->layers) {
    img.layers.push_back({l.digest, l.media_type, l.size});
    total += l.size;
  }

  std::mutex progress_mu;
  PullOptions local = opts;
  if (opts.progress) {
    local.progress = [&](const PullProgress& p) {
      std::lock_guard lk(progress_mu);
      opts.progress(p);
    };
    local.progress({PullProgress::Kind::kResolved, img.layers.size(), img.manifest_digest, 0, total});
  }

  // Layers in parallel, bounded. The first error stops new layers starting.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::optional<Error> first_error;
  auto worker = [&] {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= img.layers.size()) return;
      if (auto st = pull_layer(ref, img, i, local); !st) {
        std::lock_guard lk(err_mu);
        if (!first_error) first_error = st.error();
        failed = true;
      }
    }
  };
  int n = std::max(1, std::min<int>(opts.max_parallel_layers, static_cast<int>(img.layers.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first_error) return fail(first_error->with_context("pulling " + ref.str()));
  return img;
}

Status Puller::pull_layer(const Reference& ref, const PulledImage& image, size_t i, const PullOptions& opts) {
  const LayerDescriptor& layer = image.layers[i];
  std::string what = "layer " + std::to_string(i + 1) + "/" + std::to_string(image.layers.size()) + " " + layer.digest;
  auto lk = store_.lock(layer.digest);
  if (!lk) return fail(lk.error().with_context(what));
  bool cached = store_.has(layer.digest);
  bool consume = opts.consumer && opts.consumer->needs(image, i);
  if (cached) {
    touch(store_.blob_path(layer.digest));
    if (opts.progress) opts.progress({PullProgress::Kind::kLayerCached, i, layer.digest, layer.size, layer.size});
    if (!consume) return {};
  } else if (opts.progress) {
    opts.progress({PullProgress::Kind::kLayerStart, i, layer.digest, 0, layer.size});
  }

  // The consumer reads from a pipe in its own thread.
  UniqueFd rd, wr;
  std::thread consumer_thread;
  std::optional<Status> consumer_status;
  if (consume) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return fail_sys(errno, "pipe", what);
    rd.reset(p[0]);
    wr.reset(p[1]);
    ::fcntl(wr.get(), F_SETPIPE_SZ, 1 << 20);
    consumer_thread = std::thread([&] {
      consumer_status = opts.consumer->unpack(rd.get(), image, i);
      rd.reset();  // a writer still going gets EPIPE
    });
  }
  SigpipeBlock sigpipe;

  Status transfer;
  bool verified = false;
  if (cached) {
    std::string path = store_.blob_path(layer.digest);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      transfer = fail_sys(errno, "open blob", path);
    } else {
      std::vector<char> buf(1 << 17);
      while (true) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          transfer = fail_sys(errno, "read blob", path);
          break;
        }
        if (n == 0) break;
        if (auto st = write_pipe(wr.get(), buf.data(), static_cast<size_t>(n)); !st) {
          transfer = st;
          break;
        }
      }
      verified = bool(transfer);  // verified when it was ingested
    }
  } else {
    auto in = store_.ingest(layer.digest, layer.size);
    if (!in) {
      transfer = fail(in.error());
    } else {
      int64_t last_report = 0;
      transfer = client_.fetch_blob(ref, layer.digest, layer.size, [&](const char* p, size_t n) -> Status {
        ECSD_TRY(in->write(p, n));
        if (wr) ECSD_TRY(write_pipe(wr.get(), p, n));
        if (opts.progress && (in->written() - last_report >= (1 << 18) || in->written() == layer.size)) {
          last_report = in->written();
          opts.progress({PullProgress::Kind::kLayerBytes, i, layer.digest, in->written(), layer.size});
        }
        return {};
      });
      if (transfer) {
        transfer = in->commit();
        verified = bool(transfer);
      }
    }
  }
  wr.reset();  // EOF for the consumer
  if (consumer_thread.joinable()) consumer_thread.join();

  Status result = transfer;
  if (consume) {
    bool unpack_ok = consumer_status && *consumer_status;
    auto fin = opts.consumer->finish(image, i, verified && unpack_ok);
    bool pipe_broke = !transfer && transfer.error().message == "layer unpack stopped reading";
    if (!transfer && !pipe_broke) {
      result = transfer;  // the download error explains an unpack failure
    } else if (!unpack_ok) {
      result = consumer_status ? *consumer_status : fail_invalid("unpack did not run");
    } else if (!fin) {
      result = fin;
    }
  }
  if (!result) return fail(result.error().with_context(what));
  if (opts.progress) opts.progress({PullProgress::Kind::kLayerDone, i, layer.digest, layer.size, layer.size});
  return {};
}

}  // namespace ecsd::image
