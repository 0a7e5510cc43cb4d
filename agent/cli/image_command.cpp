// `ecsd image pull|ls|rm|unpack|gc`: the image store from the command line.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "runtime/image/content_store.h"
#include "runtime/image/credentials.h"
#include "runtime/image/flatten.h"
#include "runtime/image/gc.h"
#include "runtime/image/image_index.h"
#include "runtime/image/layer_store.h"
#include "runtime/image/pull_policy.h"
#include "runtime/image/puller.h"
#include "runtime/image/puller_unpack.h"
#include "runtime/image/reference.h"
#include "runtime/image/registry_client.h"

namespace ecsd::cli {

namespace {

using namespace ecsd::image;

void image_usage(FILE* out) {
  std::fprintf(out,
               "usage: ecsd [--data-dir DIR] image COMMAND ...\n"
               "\n"
               "  pull REF [--policy default|always|once|prefer-cached] [--platform os/arch[/variant]]\n"
               "           [--insecure-registry HOST[:PORT]]... [--ca-file FILE] [--ca-path DIR]\n"
               "           [--username USER --password-stdin] [--auth-file config.json]\n"
               "           [--inactivity-timeout SECONDS] [--retries N] [--parallel N]\n"
               "  ls                       list pulled images\n"
               "  rm REF...                remove images, their unshared blobs and layers\n"
               "  unpack REF DIR [pull options]  flattened copy of the image's rootfs in DIR\n"
               "  gc [--min-age SECONDS] [--max-blobs N]\n"
               "     [--images-older-than SECONDS [--max-images N] [--keep REF]...]\n"
               "                           remove blobs and layers no image uses (older than --min-age,\n"
               "                           default 3600), and images unused for SECONDS (oldest first)\n"
               "\n"
               "environment: ECS_IMAGE_PULL_BEHAVIOR, ECS_IMAGE_PULL_INACTIVITY_TIMEOUT,\n"
               "  ECSD_REGISTRY_CA_FILE, ECSD_INSECURE_REGISTRIES (see docs/images.md)\n");
}

int64_t now_s() { return static_cast<int64_t>(::time(nullptr)); }

std::string human_size(int64_t b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string human_age(int64_t t) {
  int64_t d = now_s() - t;
  if (d < 0) d = 0;
  if (d < 60) return std::to_string(d) + " seconds ago";
  if (d < 3600) return std::to_string(d / 60) + " minutes ago";
  if (d < 86400) return std::to_string(d / 3600) + " hours ago";
  return std::to_string(d / 86400) + " days ago";
}

int error_exit(const Error& e) {
  std::fprintf(stderr, "ecsd: %s\n", e.message.c_str());
  return 1;
}

struct PullArgs {
  std::string ref;
  std::string dir;  // unpack only
  PullPolicy policy = PullPolicy::kDefault;
  Platform platform = host_platform();
  RegistryOptions registry;
  std::string username;
  bool password_stdin = false;
  std::string auth_file;
  int parallel = 3;
};

// "90", "90s", "2m", "1h" (the Go agent's duration values) in seconds.
Result<long> parse_seconds(const std::string& what, const std::string& v) {
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  std::string unit = end ? end : "";
  double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "ms" ? 0.001 : -1;
  if (end == v.c_str() || mult < 0 || n < 0) return fail_invalid(what + ": bad duration '" + v + "'");
  return std::max(1L, static_cast<long>(n * mult));
}

// Defaults from the environment (flags override them):
//   ECS_IMAGE_PULL_BEHAVIOR            default|always|once|prefer-cached
//   ECS_IMAGE_PULL_INACTIVITY_TIMEOUT  e.g. 1m (the Go agent's default)
//   ECSD_REGISTRY_CA_FILE              extra CA bundle (PEM) for registries
//   ECSD_INSECURE_REGISTRIES           comma-separated host[:port] allowed plain http
Status pull_args_from_env(PullArgs& a) {
  if (const char* v = std::getenv("ECS_IMAGE_PULL_BEHAVIOR"); v && *v) {
    auto p = parse_pull_policy(v);
    if (!p) return fail(p.error().with_context("ECS_IMAGE_PULL_BEHAVIOR"));
    a.policy = *p;
  }
  if (const char* v = std::getenv("ECS_IMAGE_PULL_INACTIVITY_TIMEOUT"); v && *v) {
    auto s = parse_seconds("ECS_IMAGE_PULL_INACTIVITY_TIMEOUT", v);
    if (!s) return fail(s.error());
    a.registry.transport.low_speed_time_s = *s;
  }
  if (const char* v = std::getenv("ECSD_REGISTRY_CA_FILE"); v && *v) a.registry.transport.ca_file = v;
  if (const char* v = std::getenv("ECSD_INSECURE_REGISTRIES"); v && *v) {
    std::string list = v;
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string host = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      while (!host.empty() && host.front() == ' ') host.erase(0, 1);
      while (!host.empty() && host.back() == ' ') host.pop_back();
      if (!host.empty()) a.registry.insecure_registries.push_back(normalize_registry_host(host));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return {};
}

Result<PullArgs> parse_pull_args(const std::vector<std::string>& args, size_t positional) {
  PullArgs a;
  ECSD_TRY(pull_args_from_env(a));
  std::vector<std::string> pos;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& s = args[i];
    auto value = [&](const char* name) -> Result<std::string> {
      std::string flag = std::string("--") + name;
      if (s.rfind(flag + "=", 0) == 0) return s.substr(flag.size() + 1);
      if (i + 1 >= args.size()) return fail_invalid(flag + " needs a value");
      return args[++i];
    };
    auto is = [&](const char* name) {
      std::string flag = std::string("--") + name;
      return s == flag || s.rfind(flag + "=", 0) == 0;
    };
    if (is("policy")) {
      auto v = value("policy");
      if (!v) return fail(v.error());
      auto p = parse_pull_policy(*v);
      if (!p) return fail(p.error());
      a.policy = *p;
    } else if (is("platform")) {
      auto v = value("platform");
      if (!v) return fail(v.error());
      auto p = parse_platform(*v);
      if (!p) return fail(p.error());
      a.platform = *p;
    } else if (is("insecure-registry")) {
      auto v = value("insecure-registry");
      if (!v) return fail(v.error());
      a.registry.insecure_registries.push_back(normalize_registry_host(*v));
    } else if (is("ca-file")) {
      auto v = value("ca-file");
      if (!v) return fail(v.error());
      a.registry.transport.ca_file = *v;
    } else if (is("ca-path")) {
      auto v = value("ca-path");
      if (!v) return fail(v.error());
      a.registry.transport.ca_path = *v;
    } else if (is("username")) {
      auto v = value("username");
      if (!v) return fail(v.error());
      a.username = *v;
    } else if (s == "--password-stdin") {
      a.password_stdin = true;
    } else if (is("auth-file")) {
      auto v = value("auth-file");
      if (!v) return fail(v.error());
      a.auth_file = *v;
    } else if (is("inactivity-timeout")) {
      auto v = value("inactivity-timeout");
      if (!v) return fail(v.error());
      auto secs = parse_seconds("--inactivity-timeout", *v);
      if (!secs) return fail(secs.error());
      a.registry.transport.low_speed_time_s = *secs;
    } else if (is("retries")) {
      auto v = value("retries");
      if (!v) return fail(v.error());
      a.registry.retry.max_attempts = std::max(1, std::atoi(v->c_str()) + 1);
    } else if (is("parallel")) {
      auto v = value("parallel");
      if (!v) return fail(v.error());
      a.parallel = std::max(1, std::atoi(v->c_str()));
    } else if (!s.empty() && s[0] == '-') {
      return fail_invalid("unknown option " + s);
    } else {
      pos.push_back(s);
    }
  }
  if (pos.size() != positional)
    return fail_invalid("expected " + std::to_string(positional) + " argument" + (positional == 1 ? "" : "s") +
                        ", got " + std::to_string(pos.size()));
  a.ref = pos[0];
  if (positional > 1) a.dir = pos[1];
  if (a.password_stdin && a.username.empty()) return fail_invalid("--password-stdin needs --username");
  return a;
}

// Progress: a redrawn line on a terminal, plain lines otherwise (stderr).
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(::isatty(STDERR_FILENO)) {}
  void operator()(const PullProgress& p) {
    using K = PullProgress::Kind;
    switch (p.kind) {
      case K::kResolved:
        layers_ = p.index;
        total_ = p.total;
        done_bytes_.assign(layers_, 0);
        if (!tty_) std::fprintf(stderr, "resolved %s: %zu layers, %s\n", p.digest.c_str(), layers_, human_size(total_).c_str());
        break;
      case K::kLayerStart:
        if (!tty_) std::fprintf(stderr, "layer %zu/%zu %s: downloading %s\n", p.index + 1, layers_, short_digest(p.digest).c_str(), human_size(p.total).c_str());
        break;
      case K::kLayerBytes:
        if (p.index < done_bytes_.size()) done_bytes_[p.index] = p.done;
        break;
      case K::kLayerCached:
        if (p.index < done_bytes_.size()) done_bytes_[p.index] = p.total;
        if (!tty_) std::fprintf(stderr, "layer %zu/%zu %s: already present\n", p.index + 1, layers_, short_digest(p.digest).c_str());
        break;
      case K::kLayerDone:
        ++layers_done_;
        if (p.index < done_bytes_.size()) done_bytes_[p.index] = p.total;
        if (!tty_) std::fprintf(stderr, "layer %zu/%zu %s: done\n", p.index + 1, layers_, short_digest(p.digest).c_str());
        break;
    }
    if (tty_) {
      int64_t sum = 0;
      for (auto b : done_bytes_) sum += b;
      std::string per;
      for (size_t i = 0; i < done_bytes_.size() && i < 8; ++i) per += " [" + std::to_string(i + 1) + ": " + human_size(done_bytes_[i]) + "]";
      std::fprintf(stderr, "\r\033[Klayers %zu/%zu  %s / %s%s", layers_done_, layers_, human_size(sum).c_str(), human_size(total_).c_str(), per.c_str());
      std::fflush(stderr);
    }
  }
  void end() {
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  static std::string short_digest(const std::string& d) { return d.substr(0, 7 + 12); }
  bool tty_;
  size_t layers_ = 0, layers_done_ = 0;
  int64_t total_ = 0;
  std::vector<int64_t> done_bytes_;
};

struct Store {
  std::string root;
  ContentStore blobs;
  LayerStore layers;
  ImageIndex index;
};

Result<std::unique_ptr<Store>> open_store(const GlobalOptions& g) {
  std::string root = g.data_dir + "/images";
  auto blobs = ContentStore::open(root);
  if (!blobs) return fail(blobs.error());
  auto layers = LayerStore::open(root);
  if (!layers) return fail(layers.error());
  return std::make_unique<Store>(Store{root, std::move(*blobs), std::move(*layers), ImageIndex(root)});
}

// Pull (per policy) and make sure every layer is unpacked.
Result<EnsureOutcome> ensure(Store& st, const Reference& ref, PullArgs& a) {
  auto creds = std::make_shared<ChainCredentialProvider>();
  if (!a.username.empty()) {
    auto stat = std::make_shared<StaticCredentialProvider>();
    std::string password;
    if (a.password_stdin) {
      std::getline(std::cin, password);
      while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    }
    stat->set(ref.domain, {a.username, password, ""});
    creds->add(stat);
  }
  if (!a.auth_file.empty()) {
    creds->add(std::make_shared<FileCredentialProvider>(a.auth_file));
  } else if (const char* dc = std::getenv("DOCKER_CONFIG"); dc && *dc) {
    creds->add(std::make_shared<FileCredentialProvider>(std::string(dc) + "/config.json"));
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    creds->add(std::make_shared<FileCredentialProvider>(std::string(home) + "/.docker/config.json"));
  }
  a.registry.credentials = creds;

  auto cached_rec = st.index.get(ref.str());
  if (!cached_rec) return fail(cached_rec.error());
  std::optional<ImageRecord> cached = *cached_rec;
  if (cached) {
    for (auto& b : cached->blobs())
      if (!st.blobs.has(b)) {
        cached.reset();
        break;
      }
  }
  ProgressPrinter printer;
  auto do_pull = [&](const ImageRecord* from_cache) -> Result<ImageRecord> {
    RegistryClient client(a.registry);
    Puller puller(st.blobs, client);
    StoreLayerConsumer consumer(st.layers);
    PullOptions po;
    po.platform = a.platform;
    po.max_parallel_layers = a.parallel;
    po.consumer = &consumer;
    po.progress = [&](const PullProgress& p) { printer(p); };
    Reference pull_ref = ref;
    if (from_cache) pull_ref.digest = from_cache->manifest_digest;  // everything is local
    std::string index_digest;
    auto img = puller.pull(pull_ref, po, &index_digest);
    printer.end();
    if (!img) return fail(img.error());
    img->reference = ref.str();
    auto msize = st.blobs.size(img->manifest_digest).value_or(0);
    auto rec = record_from_pull(*img, index_digest.empty() && from_cache ? from_cache->index_digest : index_digest,
                                msize, now_s());
    if (from_cache) rec.pulled_at = from_cache->pulled_at;
    ECSD_TRY(st.index.put(rec));
    return rec;
  };
  auto out = ensure_image(a.policy, cached, [&] { return do_pull(nullptr); });
  if (!out) return out;
  if (!out->pulled) {
    // Cached: make sure its layers are unpacked (they may have been collected).
    auto cfg = st.blobs.read(out->record.config_digest, kMaxConfigBytes);
    if (!cfg) return fail(cfg.error());
    StoreLayerConsumer probe(st.layers);
    PulledImage pi{out->record.reference, out->record.manifest_digest, out->record.config_digest, out->record.layers, *cfg};
    bool missing = false;
    for (size_t i = 0; i < pi.layers.size(); ++i) missing |= probe.needs(pi, i);
    if (missing) {
      // All blobs are local: pulling by manifest digest feeds them from the store.
      auto client_ok = do_pull(&out->record);
      if (!client_ok) return fail(client_ok.error());
    }
    ECSD_TRY(st.index.touch(out->record.reference, now_s()));
  }
  return out;
}

int cmd_pull(const GlobalOptions& g, const std::vector<std::string>& args, bool unpack) {
  auto a = parse_pull_args(args, unpack ? 2 : 1);
  if (!a) {
    std::fprintf(stderr, "ecsd image %s: %s\n", unpack ? "unpack" : "pull", a.error().message.c_str());
    image_usage(stderr);
    return 2;
  }
  auto ref = parse_reference(a->ref);
  if (!ref) return error_exit(ref.error());
  auto st = open_store(g);
  if (!st) return error_exit((*&st).error());
  auto out = ensure(**st, *ref, *a);
  if (!out) return error_exit(out.error());
  if (out->pull_error)
    std::fprintf(stderr, "ecsd: warning: pull failed, using the cached image: %s\n", out->pull_error->message.c_str());
  if (!unpack) {
    std::printf("%s %s %s\n", out->pulled ? "pulled" : "cached", out->record.reference.c_str(),
                out->record.manifest_digest.c_str());
    return 0;
  }
  auto cfg = (*st)->blobs.read(out->record.config_digest, kMaxConfigBytes);
  if (!cfg) return error_exit(cfg.error());
  if (auto s = flatten_image((*st)->layers, *cfg, a->dir); !s) return error_exit(s.error());
  std::printf("unpacked %s into %s\n", out->record.reference.c_str(), a->dir.c_str());
  return 0;
}

int cmd_ls(const GlobalOptions& g) {
  auto st = open_store(g);
  if (!st) return error_exit(st.error());
  auto recs = (*st)->index.list();
  if (!recs) return error_exit(recs.error());
  size_t w = std::string("REFERENCE").size();
  for (auto& r : *recs) w = std::max(w, r.reference.size());
  std::printf("%-*s  %-19s  %10s  %s\n", static_cast<int>(w), "REFERENCE", "DIGEST", "SIZE", "PULLED");
  for (auto& r : *recs)
    std::printf("%-*s  %-19s  %10s  %s\n", static_cast<int>(w), r.reference.c_str(),
                r.manifest_digest.substr(0, 19).c_str(), human_size(r.size).c_str(), human_age(r.pulled_at).c_str());
  return 0;
}

int cmd_rm(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (args.size() < 2) {
    image_usage(stderr);
    return 2;
  }
  auto st = open_store(g);
  if (!st) return error_exit(st.error());
  int rc = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    auto ref = parse_reference(args[i]);
    if (!ref) {
      rc = error_exit(ref.error());
      continue;
    }
    auto r = remove_image((*st)->blobs, (*st)->index, &(*st)->layers, ref->str());
    if (!r) {
      rc = error_exit(r.error());
      continue;
    }
    std::printf("removed %s (%zu blobs, %zu layers)\n", ref->str().c_str(), r->removed_blobs.size(),
                r->removed_layers.size());
  }
  return rc;
}

int cmd_gc(const GlobalOptions& g, const std::vector<std::string>& args) {
  GcOptions o;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--min-age" && has_value) {
      o.min_blob_age_s = std::atoll(args[++i].c_str());
    } else if (a == "--images-older-than" && has_value) {
      o.min_image_age_s = std::atoll(args[++i].c_str());
      if (o.max_images_per_run == 0) o.max_images_per_run = std::numeric_limits<int>::max();
    } else if (a == "--max-images" && has_value) {
      o.max_images_per_run = std::atoi(args[++i].c_str());
    } else if (a == "--max-blobs" && has_value) {
      o.max_blobs_per_run = std::atoi(args[++i].c_str());
    } else if (a == "--keep" && has_value) {
      auto ref = parse_reference(args[++i]);
      if (!ref) return error_exit(ref.error());
      o.in_use.insert(ref->str());
    } else {
      image_usage(stderr);
      return 2;
    }
  }
  auto st = open_store(g);
  if (!st) return error_exit(st.error());
  auto r = collect_garbage((*st)->blobs, (*st)->index, &(*st)->layers, o, now_s());
  if (!r) return error_exit(r.error());
  for (auto& img : r->removed_images) std::printf("removed image %s\n", img.c_str());
  std::printf("removed %zu blobs (%s), %zu layers\n", r->removed_blobs.size(), human_size(r->bytes_freed).c_str(),
              r->removed_layers.size());
  return 0;
}

}  // namespace

int image_command(const GlobalOptions& global, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    image_usage(args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string& verb = args[0];
  if (verb == "pull") return cmd_pull(global, args, false);
  if (verb == "unpack") return cmd_pull(global, args, true);
  if (verb == "ls" || verb == "list") return cmd_ls(global);
  if (verb == "rm" || verb == "remove") return cmd_rm(global, args);
  if (verb == "gc") return cmd_gc(global, args);
  std::fprintf(stderr, "ecsd image: unknown command '%s'\n", verb.c_str());
  image_usage(stderr);
  return 2;
}

}  // namespace ecsd::cli

namespace ecsd::cli {
namespace {
const RegisterCommand kRegisterImage{"image", "pull|ls|rm|unpack ...", "manage images in the local store",
                                     image_command};
}  // namespace
}  // namespace ecsd::cli
