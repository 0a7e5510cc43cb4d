// What callers (the task engine) use after a pull: the image config and an
// overlay root filesystem over the stored layers, cleaned up on release.
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "runtime/image/chain_id.h"
#include "runtime/image/content_store.h"
#include "runtime/image/image_config.h"
#include "runtime/image/image_index.h"
#include "runtime/image/layer_store.h"
#include "runtime/image/reference.h"
#include "runtime/image/rootfs.h"
#include "tests/integration/image/support.h"

namespace ecsd::image_test {
namespace {

using namespace ecsd::image;

class ImageRootfs : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::geteuid(), 0u) << "the image integration suite must run as root"; }

  // Pulls tag with the CLI and returns its parsed config.
  ImageConfig pull(const std::string& tag) {
    auto r = ecsd(data, "image pull " + reg->addr() + "/ecsd-test/layers:" + tag);
    EXPECT_EQ(r.rc, 0) << r.err;
    auto ref = parse_reference(reg->addr() + "/ecsd-test/layers:" + tag);
    EXPECT_TRUE(ref.has_value());
    ImageIndex index(data + "/images");
    auto rec = index.get(ref->str());
    EXPECT_TRUE(rec && *rec) << "no index record for " << ref->str();
    auto blobs = ContentStore::open(data + "/images");
    EXPECT_TRUE(blobs.has_value());
    auto json = blobs->read((*rec)->config_digest, 1 << 20);
    EXPECT_TRUE(json.has_value());
    auto cfg = parse_image_config(*json);
    EXPECT_TRUE(cfg.has_value()) << cfg.error().message;
    return *cfg;
  }

  TempDir tmp;
  std::string data = tmp / "data";
  std::unique_ptr<Registry> reg;
};

TEST_F(ImageRootfs, ConfigFieldsReachCallers) {
  reg = std::make_unique<Registry>(tmp / "reg");
  push_layers(reg->addr(), {"configured"});
  ImageConfig c = pull("configured");
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"echo hi"}));
  EXPECT_NE(std::find(c.env.begin(), c.env.end(), "A=1"), c.env.end());
  EXPECT_NE(std::find(c.env.begin(), c.env.end(), "B=two"), c.env.end());
  EXPECT_EQ(c.user, "1000:1000");
  EXPECT_EQ(c.working_dir, "/home/app");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.labels["org.ecsd.test"], "yes");
  EXPECT_EQ(c.stop_signal, "SIGQUIT");
  EXPECT_EQ(c.volumes, (std::vector<std::string>{"/data"}));
  EXPECT_EQ(c.os, "linux");
  EXPECT_EQ(c.diff_ids.size(), 1u);
}

TEST_F(ImageRootfs, OverlayRootfsMatchesUmociAndIsCleanedUp) {
  reg = std::make_unique<Registry>(tmp / "reg");
  push_layers(reg->addr(), {"opaque"});
  ImageConfig c = pull("opaque");
  auto chains = chain_ids(c.diff_ids);
  ASSERT_TRUE(chains.has_value());
  auto layers = LayerStore::open(data + "/images");
  ASSERT_TRUE(layers.has_value());
  std::string target = tmp / "mnt";
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  std::string container = data + "/images/containers/test-" + std::to_string(::getpid());
  std::string layer_before = tree_manifest(data + "/images/layers");
  {
    auto m = mount_image_rootfs(*layers, *chains, container, target);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    // Whiteouts and opaque directories hide what they should: same tree as umoci's.
    EXPECT_EQ(tree_manifest(target), tree_manifest(umoci_rootfs("opaque", tmp / "umoci")));
    // Writes go to the container's upper dir, never to a layer.
    { std::ofstream(target + "/etc/written-by-container") << "x"; }
    ASSERT_EQ(::unlink((target + "/etc/passwd").c_str()), 0);
    EXPECT_TRUE(exists(container));
    auto st = m->release();
    EXPECT_TRUE(st.has_value()) << st.error().message;
  }
  EXPECT_FALSE(exists(container)) << "container dir must go with the mount";
  EXPECT_FALSE(exists(target + "/etc")) << "still mounted";
  EXPECT_EQ(sh("grep -q " + quote(target) + " /proc/self/mountinfo").rc, 1);
  EXPECT_EQ(tree_manifest(data + "/images/layers"), layer_before) << "a layer changed";
}

}  // namespace
}  // namespace ecsd::image_test
