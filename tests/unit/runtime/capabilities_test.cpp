#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "runtime/capabilities.h"

namespace ecsd::runtime {
namespace {

TEST(Capabilities, NamesMatchLibcap) {
  EXPECT_EQ(last_known_capability(), 40);
  for (int c = 0; c <= last_known_capability(); ++c) {
    char* lib = cap_to_name(static_cast<cap_value_t>(c));
    ASSERT_NE(lib, nullptr);
    std::string expected = lib;
    cap_free(lib);
    std::transform(expected.begin(), expected.end(), expected.begin(), [](unsigned char ch) { return std::toupper(ch); });
    EXPECT_EQ(capability_name(c), expected) << c;
    EXPECT_EQ(capability_from_name(expected), c);
  }
}

TEST(Capabilities, NameSpellings) {
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), CAP_CHOWN);
  EXPECT_EQ(capability_from_name("chown"), CAP_CHOWN);
  EXPECT_EQ(capability_from_name("cap_sys_admin"), CAP_SYS_ADMIN);
  EXPECT_EQ(capability_from_name("Net_Raw"), CAP_NET_RAW);
  EXPECT_EQ(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_FALSE(capability_from_name("CAP_FLY"));
  EXPECT_FALSE(capability_from_name(""));
  EXPECT_FALSE(capability_from_name("CAP_"));
  EXPECT_FALSE(capability_from_name("ALL"));
}

TEST(Capabilities, MaskRoundTrip) {
  auto m = caps_to_mask({"CAP_KILL", "chown", "CAP_SYS_ADMIN", "CAP_KILL"});
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (1ull << CAP_KILL) | (1ull << CAP_CHOWN) | (1ull << CAP_SYS_ADMIN));
  EXPECT_EQ(mask_to_caps(*m), (std::vector<std::string>{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"}));
  auto bad = caps_to_mask({"CAP_KILL", "CAP_NOPE"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().str().find("CAP_NOPE"), std::string::npos);
}

TEST(Capabilities, DockerDefaults) {
  auto d = docker_default_capabilities();
  EXPECT_EQ(d.size(), 14u);
  auto m = caps_to_mask(d);
  ASSERT_TRUE(m);
  const int expected[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER, CAP_MKNOD,
                          CAP_NET_RAW, CAP_SETGID,      CAP_SETUID,      CAP_SETFCAP, CAP_SETPCAP,
                          CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE};
  CapMask want = 0;
  for (int c : expected) want |= 1ull << c;
  EXPECT_EQ(*m, want);
}

constexpr CapMask kHostAll = 0x000001fffeffffffull;  // this machine: all but CAP_SYS_RESOURCE

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Capabilities, AdjustAddDrop) {
  auto base = docker_default_capabilities();
  auto r = adjust_capabilities(base, {"NET_ADMIN"}, {"chown", "CAP_MKNOD"}, kHostAll);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(contains(*r, "CAP_NET_ADMIN"));
  EXPECT_FALSE(contains(*r, "CAP_CHOWN"));
  EXPECT_FALSE(contains(*r, "CAP_MKNOD"));
  EXPECT_TRUE(contains(*r, "CAP_KILL"));
  EXPECT_EQ(r->size(), 13u);
  // Sorted by number, prefixed.
  auto m = caps_to_mask(*r);
  ASSERT_TRUE(m);
  EXPECT_EQ(mask_to_caps(*m), *r);

  // Without ALL, Docker drops first and then adds: both -> present.
  auto both = adjust_capabilities(base, {"SYS_PTRACE"}, {"SYS_PTRACE"}, kHostAll);
  ASSERT_TRUE(both);
  EXPECT_TRUE(contains(*both, "CAP_SYS_PTRACE"));

  auto none = adjust_capabilities(base, {}, {}, kHostAll);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->size(), 14u);
}

TEST(Capabilities, AdjustAll) {
  auto base = docker_default_capabilities();
  auto all = adjust_capabilities(base, {"ALL"}, {"MKNOD"}, kHostAll);
  ASSERT_TRUE(all) << all.error().str();
  EXPECT_EQ(*all, mask_to_caps(kHostAll & ~(1ull << CAP_MKNOD)));
  EXPECT_FALSE(contains(*all, "CAP_SYS_RESOURCE"));  // "ALL" = the host's set
  EXPECT_TRUE(contains(*all, "CAP_SYS_ADMIN"));

  auto only = adjust_capabilities(base, {"kill", "CAP_NET_BIND_SERVICE"}, {"all"}, kHostAll);
  ASSERT_TRUE(only);
  EXPECT_EQ(*only, (std::vector<std::string>{"CAP_KILL", "CAP_NET_BIND_SERVICE"}));

  auto empty = adjust_capabilities(base, {}, {"ALL"}, kHostAll);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(Capabilities, AdjustErrors) {
  auto base = docker_default_capabilities();
  auto a = adjust_capabilities(base, {"CAP_WINGS"}, {}, kHostAll);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().str().find("cap-add: unknown capability \"CAP_WINGS\""), std::string::npos);
  auto d = adjust_capabilities(base, {}, {"WINGS"}, kHostAll);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().str().find("cap-drop"), std::string::npos);
  auto host = adjust_capabilities(base, {"SYS_RESOURCE"}, {}, kHostAll);
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().str().find("CAP_SYS_RESOURCE is not in the host's bounding set"), std::string::npos);
}

TEST(Capabilities, ParseStatusLine) {
  const std::string status =
      "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
      "CapEff:\t000001ffffffffff\nCapBndX:\t1\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n";
  auto b = parse_status_cap_line(status, "CapBnd");
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(*b, 0x000001fffeffffffull);
  EXPECT_FALSE(*b & (1ull << CAP_SYS_RESOURCE));
  EXPECT_EQ(*parse_status_cap_line(status, "CapPrm"), 0x000001ffffffffffull);
  EXPECT_EQ(*parse_status_cap_line(status, "CapAmb"), 0u);
  auto missing = parse_status_cap_line(status, "CapFoo");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().str().find("CapFoo"), std::string::npos);
  EXPECT_FALSE(parse_status_cap_line("CapBnd:\tzzzz\n", "CapBnd"));
  EXPECT_FALSE(parse_status_cap_line("CapBnd:\t\n", "CapBnd"));
  EXPECT_EQ(*parse_status_cap_line("CapBnd:\tff", "CapBnd"), 0xffu);  // no trailing newline
}

TEST(Capabilities, HostBoundingSetMatchesKernel) {
  auto b = host_bounding_set();
  ASSERT_TRUE(b) << b.error().str();
  const int last = kernel_last_capability();
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  int proc_last = -1;
  f >> proc_last;
  EXPECT_EQ(last, proc_last);
  for (int c = 0; c <= last; ++c)
    EXPECT_EQ(((*b >> c) & 1) == 1, prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) << capability_name(c);
}

TEST(Capabilities, CapSetsFromSpec) {
  auto none = cap_sets_from_spec(std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->bounding | none->effective | none->permitted | none->inheritable | none->ambient, 0u);
  Capabilities c{{"CAP_KILL", "CAP_CHOWN"}, {"CAP_KILL"}, {}, {"CAP_KILL", "CAP_CHOWN"}, {"CAP_KILL"}};
  auto s = cap_sets_from_spec(c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bounding, (1ull << CAP_KILL) | (1ull << CAP_CHOWN));
  EXPECT_EQ(s->effective, 1ull << CAP_KILL);
  EXPECT_EQ(s->ambient, 1ull << CAP_KILL);
  c.permitted.push_back("CAP_BOGUS");
  auto bad = cap_sets_from_spec(c);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().str().find("process.capabilities.permitted"), std::string::npos) << bad.error().str();
}

}  // namespace
}  // namespace ecsd::runtime
