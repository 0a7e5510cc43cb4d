// Pure logic of the image service: references, auth challenges and tokens,
// manifests and platforms, pull behaviours, retries, credentials, compression
// detection, overlay options. No network, no root.
#include <gtest/gtest.h>

#include "runtime/image/auth_challenge.h"
#include "runtime/image/auth_token_cache.h"
#include "runtime/image/credentials.h"
#include "runtime/image/image_config.h"
#include "runtime/image/layer_stream.h"
#include "runtime/image/manifest.h"
#include "runtime/image/pull_policy.h"
#include "runtime/image/reference.h"
#include "runtime/image/registry_client_retry.h"
#include "runtime/image/rootfs.h"

namespace ecsd::image {
namespace {

TEST(Reference, DockerNormalisation) {
  auto r = parse_reference("busybox");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r->registry_host(), "registry-1.docker.io");
  auto u = parse_reference("someone/app:1.2");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->str(), "docker.io/someone/app:1.2");
  auto p = parse_reference("127.0.0.1:5000/x/y:tag");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->domain, "127.0.0.1:5000");
  EXPECT_EQ(p->path, "x/y");
  EXPECT_EQ(p->tag, "tag");
  EXPECT_EQ(p->registry_host(), "127.0.0.1:5000");
  EXPECT_EQ(p->host_only(), "127.0.0.1");
  // As Docker: a first component with capitals is a registry host.
  auto up = parse_reference("UPPER/case");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->domain, "UPPER");
  auto l = parse_reference("localhost/app");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->domain, "localhost");
}

TEST(Reference, Digests) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = parse_reference("busybox@" + d);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->digest, d);
  EXPECT_EQ(r->manifest_ref(), d);
  auto both = parse_reference("busybox:1@" + d);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->tag, "1");
  EXPECT_EQ(both->manifest_ref(), d);
  EXPECT_FALSE(parse_reference("busybox@sha256:abc"));
}

TEST(Reference, BadReferencesNameThemselves) {
  for (const char* bad : {"", "library/BusyBox", "a b", "x:", "repo:tag:tag", "-leading"}) {
    auto r = parse_reference(bad);
    EXPECT_FALSE(r) << bad;
    if (!r && *bad) {
      EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
  }
}

TEST(Reference, EcrHosts) {
  auto e = parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->account, "123456789012");
  EXPECT_EQ(e->region, "eu-west-1");
  EXPECT_FALSE(parse_ecr_host("registry-1.docker.io"));
  auto r = parse_reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->ecr());
  EXPECT_EQ(r->ecr()->region, "us-east-1");
}

TEST(Reference, Loopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1:5000"));
  EXPECT_TRUE(is_loopback_host("127.3.4.5"));
  EXPECT_TRUE(is_loopback_host("localhost:5000"));
  EXPECT_TRUE(is_loopback_host("[::1]:5000"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1:5000"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
}

TEST(AuthChallenge, DockerHubBearer) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].scheme, "bearer");
  EXPECT_EQ((*c)[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ((*c)[0].param("service"), "registry.docker.io");
  EXPECT_EQ((*c)[0].param("scope"), "repository:library/busybox:pull");
}

TEST(AuthChallenge, BasicAndQuotedCommas) {
  auto c = parse_www_authenticate(R"(Basic realm="a, b")");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].scheme, "basic");
  EXPECT_EQ((*c)[0].param("realm"), "a, b");
}

TEST(TokenCache, ExpiresBeforeTheToken) {
  auto now = Clock::now();
  auto t = parse_token_response(R"({"token":"abc","expires_in":300})", now);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->token, "abc");
  TokenCache cache;
  cache.put("svc|scope", *t, now);
  EXPECT_EQ(cache.get("svc|scope", now + std::chrono::seconds(100)).value_or(""), "abc");
  EXPECT_FALSE(cache.get("svc|scope", now + std::chrono::seconds(299)));
  EXPECT_FALSE(cache.get("other", now));
  cache.invalidate("svc|scope");
  EXPECT_FALSE(cache.get("svc|scope", now));
  auto access = parse_token_response(R"({"access_token":"xyz"})", now);
  ASSERT_TRUE(access);
  EXPECT_EQ(access->token, "xyz");
  EXPECT_FALSE(parse_token_response(R"({"expires_in":3})", now));
}

const char* kIndex = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":10,"platform":{"os":"linux","architecture":"amd64"}},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":10,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":10,"platform":{"os":"linux","architecture":"arm","variant":"v7"}}]})";

TEST(Manifest, IndexAndPlatformSelection) {
  auto m = parse_manifest(kIndex, "application/vnd.oci.image.index.v1+json");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->is_index);
  ASSERT_EQ(m->manifests.size(), 3u);
  auto amd = select_platform(m->manifests, Platform{"linux", "amd64", ""});
  ASSERT_TRUE(amd);
  EXPECT_EQ(amd->digest.substr(7, 4), "1111");
  auto arm64 = select_platform(m->manifests, Platform{"linux", "arm64", ""});
  ASSERT_TRUE(arm64);
  EXPECT_EQ(arm64->digest.substr(7, 4), "2222");
  auto armv7 = select_platform(m->manifests, Platform{"linux", "arm", "v7"});
  ASSERT_TRUE(armv7);
  EXPECT_EQ(armv7->digest.substr(7, 4), "3333");
  auto none = select_platform(m->manifests, Platform{"linux", "s390x", ""});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("linux/s390x"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("linux/arm64/v8"), std::string::npos) << none.error().message;
}

TEST(Manifest, ImageManifestAndRejects) {
  const char* body = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":7},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":100}]})";
  auto m = parse_manifest(body, "application/vnd.docker.distribution.manifest.v2+json");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->is_index);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 100);
  EXPECT_FALSE(parse_manifest("not json", "application/vnd.oci.image.manifest.v1+json"));
  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":1})", "application/vnd.docker.distribution.manifest.v1+json"));
  EXPECT_NE(manifest_accept_header().find("application/vnd.oci.image.index.v1+json"), std::string::npos);
}

TEST(Manifest, Platforms) {
  auto p = parse_platform("linux/arm64/v8");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->str(), "linux/arm64/v8");
  EXPECT_FALSE(parse_platform("linux"));
  EXPECT_EQ(normalize_architecture("x86_64"), "amd64");
  EXPECT_EQ(normalize_architecture("aarch64"), "arm64");
  EXPECT_EQ(host_platform().os, "linux");
}

TEST(PullPolicy, Plans) {
  for (const char* n : {"default", "always", "once", "prefer-cached"}) {
    auto p = parse_pull_policy(n);
    ASSERT_TRUE(p) << n;
    EXPECT_EQ(pull_policy_name(*p), n);
  }
  EXPECT_FALSE(parse_pull_policy("sometimes"));
  EXPECT_TRUE(plan_pull(PullPolicy::kDefault, true).pull);
  EXPECT_TRUE(plan_pull(PullPolicy::kDefault, true).fallback_to_cached);
  EXPECT_TRUE(plan_pull(PullPolicy::kAlways, true).pull);
  EXPECT_FALSE(plan_pull(PullPolicy::kAlways, true).fallback_to_cached);
  EXPECT_FALSE(plan_pull(PullPolicy::kOnce, true).pull);
  EXPECT_FALSE(plan_pull(PullPolicy::kPreferCached, true).pull);
  for (auto p : {PullPolicy::kDefault, PullPolicy::kAlways, PullPolicy::kOnce, PullPolicy::kPreferCached})
    EXPECT_TRUE(plan_pull(p, false).pull);
}

TEST(PullPolicy, EnsureFallsBackOnlyWhenAllowed) {
  ImageRecord cached;
  cached.reference = "r";
  auto failing = [] { return Result<ImageRecord>(fail_invalid("registry down")); };
  auto d = ensure_image(PullPolicy::kDefault, cached, failing);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->pulled);
  ASSERT_TRUE(d->pull_error);
  EXPECT_FALSE(ensure_image(PullPolicy::kAlways, cached, failing));
  EXPECT_FALSE(ensure_image(PullPolicy::kDefault, std::nullopt, failing));
  int calls = 0;
  auto counting = [&] {
    ++calls;
    return Result<ImageRecord>(cached);
  };
  auto once = ensure_image(PullPolicy::kOnce, cached, counting);
  ASSERT_TRUE(once);
  EXPECT_EQ(calls, 0);
  auto fresh = ensure_image(PullPolicy::kOnce, std::nullopt, counting);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->pulled);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, WhatIsRetriedAndBackoff) {
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(RetryPolicy::retryable_status(s)) << s;
  for (long s : {400L, 401L, 403L, 404L}) EXPECT_FALSE(RetryPolicy::retryable_status(s)) << s;
  RetryPolicy p;
  EXPECT_EQ(p.delay(2, 0.999).count() <= p.base_delay.count(), true);
  EXPECT_GE(p.delay(2, 0.0).count(), p.base_delay.count() / 2);
  EXPECT_LE(p.delay(20, 0.999).count(), p.max_delay.count());
  EXPECT_GT(p.delay(4, 0.5).count(), p.delay(2, 0.5).count());
}

TEST(Credentials, DockerConfigShapes) {
  std::string json = R"({"auths":{
    "127.0.0.1:5000":{"auth":")" + base64_encode("alice:s3cret:colon") + R"("},
    "https://index.docker.io/v1/":{"username":"bob","password":"pw"},
    "ecr.example":{"identitytoken":"refresh"}}})";
  auto a = credentials_from_docker_config(json, "127.0.0.1:5000");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->username, "alice");
  EXPECT_EQ((*a)->password, "s3cret:colon");
  auto hub = credentials_from_docker_config(json, "docker.io");
  ASSERT_TRUE(hub && *hub);
  EXPECT_EQ((*hub)->username, "bob");
  auto id = credentials_from_docker_config(json, "ecr.example");
  ASSERT_TRUE(id && *id);
  EXPECT_EQ((*id)->identity_token, "refresh");
  auto none = credentials_from_docker_config(json, "other:1");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(base64_decode(base64_encode("any\x01bytes")).value_or(""), "any\x01bytes");
}

TEST(Credentials, ChainAsksInOrder) {
  auto first = std::make_shared<StaticCredentialProvider>();
  auto second = std::make_shared<StaticCredentialProvider>();
  first->set("a:1", {"u1", "p1", ""});
  second->set("a:1", {"u2", "p2", ""});
  second->set("b:1", {"u3", "p3", ""});
  ChainCredentialProvider chain;
  chain.add(first);
  chain.add(second);
  EXPECT_EQ((*chain.get("a:1"))->username, "u1");
  EXPECT_EQ((*chain.get("b:1"))->username, "u3");
  EXPECT_FALSE(*chain.get("c:1"));
}

TEST(LayerStream, CompressionByMagicThenMediaType) {
  EXPECT_EQ(detect_compression(std::string("\x1f\x8b\x08\x00", 4), ""), Compression::kGzip);
  EXPECT_EQ(detect_compression(std::string("\x28\xb5\x2f\xfd", 4), ""), Compression::kZstd);
  // Bytes win over a wrong media type.
  EXPECT_EQ(detect_compression(std::string("\x1f\x8b\x08\x00", 4), "application/vnd.oci.image.layer.v1.tar+zstd"),
            Compression::kGzip);
  EXPECT_EQ(detect_compression("usr/", "application/vnd.oci.image.layer.v1.tar+gzip"), Compression::kNone);
  EXPECT_EQ(detect_compression("", "application/vnd.oci.image.layer.v1.tar+zstd"), Compression::kZstd);
}

TEST(ImageConfig, DockerFields) {
  const char* json = R"({"architecture":"arm64","variant":"v8","os":"linux",
    "config":{"User":"app","Env":["PATH=/bin","A=b=c"],"Entrypoint":["/e"],"Cmd":["x","y"],
      "WorkingDir":"/w","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/v":{}},
      "Labels":{"k":"v"},"StopSignal":"SIGTERM",
      "Healthcheck":{"Test":["CMD-SHELL","curl -f localhost"],"Interval":30000000000,
        "Timeout":5000000000,"StartPeriod":1000000000,"Retries":3}},
    "rootfs":{"type":"layers","diff_ids":["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}})";
  auto c = parse_image_config(json);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->architecture, "arm64");
  EXPECT_EQ(c->variant, "v8");
  EXPECT_EQ(c->user, "app");
  EXPECT_EQ(c->env, (std::vector<std::string>{"PATH=/bin", "A=b=c"}));
  EXPECT_EQ(c->entrypoint, (std::vector<std::string>{"/e"}));
  EXPECT_EQ(c->cmd, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(c->working_dir, "/w");
  EXPECT_EQ(c->exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c->volumes, (std::vector<std::string>{"/v"}));
  EXPECT_EQ(c->labels.at("k"), "v");
  EXPECT_EQ(c->stop_signal, "SIGTERM");
  ASSERT_TRUE(c->healthcheck);
  EXPECT_EQ(c->healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "curl -f localhost"}));
  EXPECT_EQ(c->healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(c->healthcheck->timeout_ns, 5000000000);
  EXPECT_EQ(c->healthcheck->start_period_ns, 1000000000);
  EXPECT_EQ(c->healthcheck->retries, 3);
  EXPECT_EQ(c->diff_ids.size(), 1u);
  EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":["md5:x"]}})"));
  auto bare = parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->healthcheck);
}

TEST(Overlay, MountDataEscapesAndLimits) {
  OverlaySpec s;
  s.lower_dirs = {"/l/a,b", "/l/c:d"};
  s.upper_dir = "/u";
  s.work_dir = "/w";
  s.target = "/t";
  auto d = overlay_mount_data(s);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, "lowerdir=/l/a\\,b:/l/c\\:d,upperdir=/u,workdir=/w");
  s.lower_dirs.assign(200, "/var/lib/ecs/data/images/layers/" + std::string(64, 'f') + "/diff");
  EXPECT_FALSE(overlay_mount_data(s));
  s.lower_dirs.clear();
  EXPECT_FALSE(overlay_mount_data(s));
}

}  // namespace
}  // namespace ecsd::image
