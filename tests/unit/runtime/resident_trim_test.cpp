#include "runtime/resident_trim.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace ecsd::runtime {
namespace {

constexpr const char* kSmaps =
    "00400000-00401000 r--p 00000000 fe:00 5308447    /bin/shim\n"
    "Rss:                   4 kB\n"
    "Anonymous:             0 kB\n"
    "00401000-00578000 r-xp 00001000 fe:00 5308447    /bin/shim\n"
    "Rss:                 832 kB\n"
    "Anonymous:             0 kB\n"
    "005cf000-005d6000 r--p 001ce000 fe:00 5308447    /bin/shim\n"
    "Anonymous:             8 kB\n"
    "005d6000-005d9000 rw-p 001d5000 fe:00 5308447    /bin/shim\n"
    "Anonymous:            12 kB\n"
    "03293000-032b5000 rw-p 00000000 00:00 0          [heap]\n"
    "Anonymous:            36 kB\n"
    "7fdccc673000-7fdccc675000 r-xp 00000000 00:00 0  [vdso]\n"
    "Anonymous:             0 kB\n"
    "7f0000000000-7f0000001000 r--s 00000000 fe:00 99  /some/shared\n"
    "Anonymous:             0 kB\n";

TEST(ResidentTrim, DropsOnlyCleanPrivateReadOnlyFileMappings) {
  std::vector<std::pair<uint64_t, size_t>> dropped;
  size_t total = for_each_droppable_mapping(std::string_view(kSmaps),
                                            [&](uint64_t s, size_t n) { dropped.emplace_back(s, n); });
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0], std::make_pair(uint64_t{0x400000}, size_t{0x1000}));
  EXPECT_EQ(dropped[1], std::make_pair(uint64_t{0x401000}, size_t{0x177000}));
  EXPECT_EQ(total, 0x1000u + 0x177000u);
}

TEST(ResidentTrim, MappingWithoutAnonymousLineIsKept) {
  std::vector<uint64_t> dropped;
  for_each_droppable_mapping(std::string_view("00400000-00401000 r-xp 00000000 fe:00 7 /x\n"
                                              "00500000-00501000 r-xp 00000000 fe:00 7 /x\nAnonymous: 0 kB\n"),
                             [&](uint64_t s, size_t) { dropped.push_back(s); });
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0], 0x500000u);
}

TEST(ResidentTrim, TrimsThisProcessWithoutHarm) {
  EXPECT_GT(trim_resident_image(), 0u);
  // Still runs: the text comes back from the page cache.
  std::vector<int> v(1000, 1);
  int sum = 0;
  for (int x : v) sum += x;
  EXPECT_EQ(sum, 1000);
}

}  // namespace
}  // namespace ecsd::runtime
