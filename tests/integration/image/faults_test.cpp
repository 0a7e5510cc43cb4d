// Faults between ecsd and the registry (a fault proxy the tests own) and
// hostile layers: each gives a clear error and leaves the store consistent.
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/integration/image/support.h"

namespace ecsd::image_test {
namespace {

class ImageFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the image integration suite must run as root";
    reg = std::make_unique<Registry>(tmp / "reg");
    push_layers(reg->addr(), {"rich"});
  }
  // A proxy with these faults in front of the registry.
  std::unique_ptr<Server> proxy(const std::string& faults) {
    log = tmp / ("proxy" + std::to_string(++proxies) + ".log");
    return std::make_unique<Server>(test_script("fault-proxy.py"), reg->addr() + " " + faults + " --log " + log,
                                    tmp.path());
  }
  CmdResult pull_rich(const Server& p, const std::string& opts = "") {
    return ecsd(data, "image pull " + opts + " " + p.addr() + "/ecsd-test/layers:rich");
  }
  void expect_nothing_kept() {
    EXPECT_EQ(store_problems(data), "");
    EXPECT_TRUE(layer_names(data).size() <= 1) << "only the base layer may be complete";
    auto ls = ecsd(data, "image ls");
    EXPECT_EQ(ls.out.find("layers:rich"), std::string::npos) << ls.out;
  }
  TempDir tmp;
  std::string data = tmp / "data";
  std::unique_ptr<Registry> reg;
  std::string log;
  int proxies = 0;
};

TEST_F(ImageFaults, WrongDigestIsRejectedAndNotKept) {
  auto p = proxy("--fault layer:corrupt:-1");
  auto r = pull_rich(*p, "--retries 1");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("digest mismatch"), std::string::npos) << r.err;
  expect_nothing_kept();
  // Nothing corrupt stays behind: a clean pull afterwards works.
  auto p2 = proxy("");
  auto ok = pull_rich(*p2);
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageFaults, TruncatedBlobIsResumedWithRange) {
  auto p = proxy("--fault layer:truncate:1");
  auto r = pull_rich(*p);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(count_lines(log, " truncate"), 1) << read_text(log);
  EXPECT_GE(count_lines(log, " 206 bytes="), 1) << read_text(log);
  EXPECT_EQ(store_problems(data), "");
  auto un = ecsd(data, "image unpack " + p->addr() + "/ecsd-test/layers:rich " + (tmp / "r"));
  ASSERT_EQ(un.rc, 0) << un.err;
  EXPECT_EQ(tree_manifest(tmp / "r"), tree_manifest(umoci_rootfs("rich", tmp / "umoci")));
}

TEST_F(ImageFaults, AlwaysTruncatedFailsCleanly) {
  auto p = proxy("--fault layer:truncate:-1");
  auto r = pull_rich(*p, "--retries 2");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("after 3 attempts"), std::string::npos) << r.err;
  expect_nothing_kept();
}

TEST_F(ImageFaults, ServerErrorsThenSuccess) {
  auto p = proxy("--fault any:500:3");
  auto r = pull_rich(*p, "--retries 4");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(count_lines(log, " 500 - 500"), 3) << read_text(log);
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageFaults, PersistentServerErrorsGiveUp) {
  auto p = proxy("--fault any:500:-1");
  auto r = pull_rich(*p, "--retries 2");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("HTTP 500"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(log, " 500 - 500"), 3) << read_text(log);
  expect_nothing_kept();
}

TEST_F(ImageFaults, StallingServerHitsInactivityTimeout) {
  auto p = proxy("--fault layer:stall:-1");
  auto r = pull_rich(*p, "--inactivity-timeout 1 --retries 1");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("inactivity timeout"), std::string::npos) << r.err;
  // Every layer was tried twice (the first attempt and one resume).
  EXPECT_GE(count_lines(log, " stall"), 2) << read_text(log);
  EXPECT_GE(count_lines(log, " 206 bytes="), 1) << read_text(log);
  expect_nothing_kept();
}

TEST_F(ImageFaults, StallOnceThenResume) {
  auto p = proxy("--fault layer:stall:1");
  auto r = pull_rich(*p, "--inactivity-timeout 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_GE(count_lines(log, " 206 bytes="), 1) << read_text(log);
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageFaults, MissingManifest) {
  auto p = proxy("--fault manifest:404:-1");
  auto r = pull_rich(*p);
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("layers:rich"), std::string::npos) << r.err;
  EXPECT_TRUE(blob_names(data).empty());
  expect_nothing_kept();
}

TEST_F(ImageFaults, DigestPinning) {
  auto p = proxy("");
  auto first = ecsd(tmp / "probe", "image pull " + p->addr() + "/ecsd-test/layers:rich");
  ASSERT_EQ(first.rc, 0) << first.err;
  std::string digest = first.out.substr(first.out.rfind(' ') + 1, 71);
  ASSERT_EQ(digest.rfind("sha256:", 0), 0u) << first.out;
  // By digest: the manifest must hash to it.
  auto pinned = ecsd(data, "image pull " + p->addr() + "/ecsd-test/layers@" + digest);
  ASSERT_EQ(pinned.rc, 0) << pinned.err;
  EXPECT_NE(pinned.out.find(digest), std::string::npos) << pinned.out;
  auto bad = proxy("--fault manifest:corrupt:-1");
  auto r = ecsd(tmp / "data2", "image pull " + bad->addr() + "/ecsd-test/layers@" + digest);
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find(digest), std::string::npos) << r.err;
  EXPECT_TRUE(blob_names(tmp / "data2").empty());
}

TEST_F(ImageFaults, UnreachableRegistry) {
  auto p = proxy("");
  std::string addr = p->addr();
  p->stop();
  auto r = ecsd(data, "image pull --retries 1 " + addr + "/ecsd-test/layers:rich");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find(addr), std::string::npos) << r.err;
  EXPECT_TRUE(blob_names(data).empty());
}

// Each escaping layer is rejected whole, naming the entry; nothing escapes.
struct Hostile {
  const char* kind;
  const char* message;
  const char* escaped;  // a path that must not exist afterwards (or "")
};
void PrintTo(const Hostile& h, std::ostream* os) { *os << h.kind; }

class HostileLayer : public ImageFaults, public ::testing::WithParamInterface<Hostile> {};

TEST_P(HostileLayer, RejectedWhole) {
  const Hostile& h = GetParam();
  std::string tag = std::string("hostile-") + h.kind;
  push_layers(reg->addr(), {"base", tag});
  auto r = ecsd(data, "image pull " + reg->addr() + "/ecsd-test/layers:" + tag);
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find(h.message), std::string::npos) << r.err;
  if (*h.escaped) {
    EXPECT_FALSE(exists(h.escaped)) << h.escaped;
  }
  EXPECT_EQ(store_problems(data), "");
  // Only the base layer is complete; the hostile one is not visible at all.
  EXPECT_EQ(layer_names(data).size(), 1u);
  auto ls = ecsd(data, "image ls");
  EXPECT_EQ(ls.out.find(tag), std::string::npos) << ls.out;
  // The store is still usable.
  auto ok = ecsd(data, "image unpack " + reg->addr() + "/ecsd-test/layers:base " + (tmp / "b"));
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_FALSE(exists(tmp / "b/ok.txt"));
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, HostileLayer,
    ::testing::Values(Hostile{"dotdot", "'a/../../escaped-dotdot' escapes", ""},
                      Hostile{"symlink-write", "'evil' goes through a symlink", "/tmp/escaped-symlink"},
                      Hostile{"symlink-dir", "'up' goes through a symlink", ""},
                      Hostile{"hardlink-out", "'../../../../../../etc/shadow' escapes", ""},
                      Hostile{"hardlink-absent", "'/etc/shadow' is not in this layer", ""},
                      Hostile{"whiteout-dotdot", "'../.wh.victim' escapes", ""},
                      Hostile{"truncated", "truncated gzip", ""}),
    [](const auto& info) {
      std::string n = info.param.kind;
      for (auto& c : n)
        if (c == '-') c = '_';
      return n;
    });

}  // namespace
}  // namespace ecsd::image_test
