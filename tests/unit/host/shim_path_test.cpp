#include "runtime/shim_path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace ecsd::runtime;

TEST(ShimPath, LookupOrder) {
  auto c = shim_candidates(nullptr, "/opt/x/bin");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], "/opt/x/bin/ecsd-shim");
  EXPECT_EQ(c[1], "/usr/libexec/ecsd/ecsd-shim");
  EXPECT_EQ(shim_candidates("/custom/shim", "/opt/x/bin"), std::vector<std::string>{"/custom/shim"});
  EXPECT_EQ(shim_candidates("", "/opt/x/bin").size(), 2u);  // empty env counts as unset
  EXPECT_EQ(shim_candidates(nullptr, "/usr/libexec/ecsd").size(), 1u);
  EXPECT_EQ(shim_candidates(nullptr, "").front(), "/usr/libexec/ecsd/ecsd-shim");
}

TEST(ShimPath, FindsExecutableNextToBinary) {
  char tmpl[] = "/tmp/ecsd-shimpath-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string shim = dir + "/ecsd-shim";
  { std::ofstream(shim) << "#!/bin/sh\n"; }
  ASSERT_EQ(chmod(shim.c_str(), 0755), 0);
  auto r = find_shim(nullptr, dir);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, shim);
  // ECSD_SHIM wins and is not second-guessed when it is wrong.
  auto bad = find_shim("/nonexistent/shim", dir);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("ECSD_SHIM"), std::string::npos);
  // Not executable: skipped; the error names every path tried.
  ASSERT_EQ(chmod(shim.c_str(), 0644), 0);
  auto r2 = find_shim(nullptr, dir);
  if (access(kLibexecShim, X_OK) != 0) {
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().message.find(shim), std::string::npos);
    EXPECT_NE(r2.error().message.find(kLibexecShim), std::string::npos);
  } else {
    EXPECT_EQ(*r2, kLibexecShim);
  }
  unlink(shim.c_str());
  rmdir(dir.c_str());
}
