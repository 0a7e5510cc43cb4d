// The store across processes and over time: concurrent pulls of one image,
// pull behaviours, removal and garbage collection.
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/integration/image/support.h"

namespace ecsd::image_test {
namespace {

class ImageStore : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::geteuid(), 0u) << "the image integration suite must run as root"; }
  TempDir tmp;
  std::string data = tmp / "data";
};

TEST_F(ImageStore, ConcurrentPullsOfOneImageByTwoProcesses) {
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {"zstd"});
  std::string ref = reg.addr() + "/ecsd-test/layers:zstd";
  std::string bin = ecsd_bin() + " --data-dir " + data;
  for (int round = 0; round < 3; ++round) {
    auto r = sh("(" + bin + " image pull " + ref + " >" + (tmp / "a.out") + " 2>&1; echo $? > " + (tmp / "a.rc") +
                ") & (" + bin + " image pull " + ref + " >" + (tmp / "b.out") + " 2>&1; echo $? > " + (tmp / "b.rc") +
                ") & wait");
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(read_text(tmp / "a.rc"), "0\n") << read_text(tmp / "a.out");
    EXPECT_EQ(read_text(tmp / "b.rc"), "0\n") << read_text(tmp / "b.out");
    EXPECT_EQ(store_problems(data), "");
    auto ls = ecsd(data, "image ls");
    EXPECT_NE(ls.out.find(ref), std::string::npos) << ls.out;
    if (round == 0) {
      auto un = ecsd(data, "image unpack " + ref + " " + (tmp / "u"));
      ASSERT_EQ(un.rc, 0) << un.err;
      EXPECT_EQ(tree_manifest(tmp / "u"), tree_manifest(umoci_rootfs("zstd-ref", tmp / "umoci")));
    }
    // Start again from an empty store for the next round.
    sh("rm -rf " + data);
  }
}

TEST_F(ImageStore, PullBehaviours) {
  Registry reg(tmp / "reg");
  push_busybox(reg.addr());
  std::string log = tmp / "proxy.log";
  auto proxy = std::make_unique<Server>(test_script("fault-proxy.py"), reg.addr() + " --log " + log, tmp.path());
  std::string ref = proxy->addr() + "/ecsd-test/busybox:latest";
  auto manifests = [&] { return count_lines(log, "/manifests/latest"); };

  // Not cached: every behaviour pulls.
  auto first = ecsd(data, "image pull --policy prefer-cached " + ref);
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.out.rfind("pulled ", 0), 0u) << first.out;
  EXPECT_EQ(manifests(), 1);

  struct Case {
    const char* policy;
    bool contacts;
  };
  for (Case c : {Case{"default", true}, Case{"always", true}, Case{"once", false}, Case{"prefer-cached", false}}) {
    int before = manifests();
    auto r = ecsd(data, std::string("image pull --policy ") + c.policy + " " + ref);
    ASSERT_EQ(r.rc, 0) << c.policy << ": " << r.err;
    EXPECT_EQ(manifests() > before, c.contacts) << c.policy;
    EXPECT_EQ(r.out.rfind(c.contacts ? "pulled " : "cached ", 0), 0u) << c.policy << ": " << r.out;
  }
  // ECS_IMAGE_PULL_BEHAVIOR gives the default behaviour.
  int before = manifests();
  auto env = sh("ECS_IMAGE_PULL_BEHAVIOR=once timeout 120 " + ecsd_bin() + " --data-dir " + data +
                " image pull " + ref);
  EXPECT_EQ(env.rc, 0) << env.err;
  EXPECT_EQ(manifests(), before);

  // The registry is gone: default falls back to the cache with a warning,
  // always fails, once and prefer-cached do not need it.
  proxy->stop();
  auto d = ecsd(data, "image pull --retries 0 --policy default " + ref);
  EXPECT_EQ(d.rc, 0) << d.err;
  EXPECT_NE(d.err.find("using the cached image"), std::string::npos) << d.err;
  auto a = ecsd(data, "image pull --retries 0 --policy always " + ref);
  EXPECT_NE(a.rc, 0);
  EXPECT_EQ(ecsd(data, "image pull --retries 0 --policy once " + ref).rc, 0);
  EXPECT_EQ(ecsd(data, "image pull --retries 0 --policy prefer-cached " + ref).rc, 0);
  auto un = ecsd(data, "image unpack --retries 0 --policy once " + ref + " " + (tmp / "u"));
  EXPECT_EQ(un.rc, 0) << un.err;
  EXPECT_TRUE(exists(tmp / "u/bin/busybox"));
  auto bad = ecsd(data, "image pull --policy sometimes " + ref);
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("sometimes"), std::string::npos) << bad.err;
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageStore, RemoveKeepsSharedContentAndGcCollects) {
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {"base", "rich"});
  std::string base = reg.addr() + "/ecsd-test/layers:base", rich = reg.addr() + "/ecsd-test/layers:rich";
  ASSERT_EQ(ecsd(data, "image pull " + base).rc, 0);
  ASSERT_EQ(ecsd(data, "image pull " + rich).rc, 0);
  auto blobs_both = blob_names(data);
  EXPECT_EQ(layer_names(data).size(), 2u);  // the base layer is stored once

  auto rm = ecsd(data, "image rm " + rich);
  ASSERT_EQ(rm.rc, 0) << rm.err;
  EXPECT_EQ(layer_names(data).size(), 1u);
  EXPECT_LT(blob_names(data).size(), blobs_both.size());
  auto un = ecsd(data, "image unpack --policy once " + base + " " + (tmp / "b"));
  ASSERT_EQ(un.rc, 0) << un.err;
  EXPECT_TRUE(exists(tmp / "b/bin/busybox"));

  auto missing = ecsd(data, "image rm " + rich);
  EXPECT_NE(missing.rc, 0);

  // Unreferenced content (left by an interrupted pull: blob without image)
  // goes with gc; young content is kept by --min-age.
  std::string stray(64, 'a');
  sh("printf x > " + data + "/images/blobs/sha256/" + stray);
  sh("cp " + data + "/images/blobs/sha256/" + stray + " /dev/null");
  auto keep = ecsd(data, "image gc --min-age 3600");
  ASSERT_EQ(keep.rc, 0) << keep.err;
  EXPECT_TRUE(exists(data + "/images/blobs/sha256/" + stray));
  auto gc = ecsd(data, "image gc --min-age 0");
  ASSERT_EQ(gc.rc, 0) << gc.err;
  EXPECT_EQ(gc.out.rfind("removed 1 blobs", 0), 0u) << gc.out;
  EXPECT_FALSE(exists(data + "/images/blobs/sha256/" + stray));
  EXPECT_EQ(layer_names(data).size(), 1u);
  ASSERT_EQ(ecsd(data, "image rm " + base).rc, 0);
  EXPECT_TRUE(blob_names(data).empty());
  EXPECT_TRUE(layer_names(data).empty());
}

TEST_F(ImageStore, GcRemovesUnusedImagesByAge) {
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {"base", "rich"});
  std::string base = reg.addr() + "/ecsd-test/layers:base", rich = reg.addr() + "/ecsd-test/layers:rich";
  ASSERT_EQ(ecsd(data, "image pull " + base).rc, 0);
  ASSERT_EQ(ecsd(data, "image pull " + rich).rc, 0);
  // Nothing is old enough.
  auto none = ecsd(data, "image gc --images-older-than 3600 --min-age 0");
  ASSERT_EQ(none.rc, 0) << none.err;
  EXPECT_EQ(none.out.find("removed image"), std::string::npos) << none.out;
  // Everything unused for 0 s goes, except what is kept.
  auto gc = ecsd(data, "image gc --images-older-than 0 --keep " + rich + " --min-age 0");
  ASSERT_EQ(gc.rc, 0) << gc.err;
  EXPECT_NE(gc.out.find("removed image " + base), std::string::npos) << gc.out;
  auto ls = ecsd(data, "image ls");
  EXPECT_EQ(ls.out.find(base), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find(rich), std::string::npos) << ls.out;
  // The base layer is still used by rich.
  EXPECT_EQ(layer_names(data).size(), 2u);
  auto un = ecsd(data, "image unpack --policy once " + rich + " " + (tmp / "r"));
  ASSERT_EQ(un.rc, 0) << un.err;
  EXPECT_EQ(tree_manifest(tmp / "r"), tree_manifest(umoci_rootfs("rich", tmp / "umoci")));
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageStore, GcKeepsYoungUnreferencedLayers) {
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {"base"});
  std::string base = reg.addr() + "/ecsd-test/layers:base";
  ASSERT_EQ(ecsd(data, "image pull " + base).rc, 0);
  // As if a pull had committed its layer but not yet recorded its image.
  sh("echo '{\"images\":[]}' > " + data + "/images/images.json");
  ASSERT_EQ(ecsd(data, "image gc").rc, 0);  // default --min-age 3600
  EXPECT_EQ(layer_names(data).size(), 1u);
  auto gc = ecsd(data, "image gc --min-age 0");
  ASSERT_EQ(gc.rc, 0) << gc.err;
  EXPECT_TRUE(layer_names(data).empty()) << gc.out;
  EXPECT_TRUE(blob_names(data).empty()) << gc.out;
}

}  // namespace
}  // namespace ecsd::image_test
