// apply_capabilities in a forked child, read back from /proc/self/status.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "runtime/capabilities.h"

namespace ecsd::runtime {
namespace {

std::string self_status() {
  std::ifstream f("/proc/self/status");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs fn in a forked child; returns its exit status (0 = success).
template <typename F>
int in_child(F fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(ApplyCapabilities, RequiresRoot) { ASSERT_EQ(geteuid(), 0u) << "this suite must run as root"; }

TEST(ApplyCapabilities, DockerDefaults) {
  ASSERT_EQ(geteuid(), 0u);
  Capabilities caps;
  caps.bounding = docker_default_capabilities();
  caps.effective = caps.bounding;
  caps.permitted = caps.bounding;
  const CapMask want = *caps_to_mask(caps.bounding);
  int rc = in_child([&] {
    if (!apply_capabilities(caps)) return 1;
    std::string st = self_status();
    if (*parse_status_cap_line(st, "CapBnd") != want) return 2;
    if (*parse_status_cap_line(st, "CapEff") != want) return 3;
    if (*parse_status_cap_line(st, "CapPrm") != want) return 4;
    if (*parse_status_cap_line(st, "CapInh") != 0) return 5;
    if (*parse_status_cap_line(st, "CapAmb") != 0) return 6;
    // The dropped capabilities are really gone.
    if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) return 7;
    if (unshare(CLONE_NEWUTS) == 0 || errno != EPERM) return 8;  // needs CAP_SYS_ADMIN
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(ApplyCapabilities, AmbientAndInheritable) {
  ASSERT_EQ(geteuid(), 0u);
  Capabilities caps{{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
                    {"CAP_KILL"},
                    {"CAP_NET_BIND_SERVICE"},
                    {"CAP_KILL", "CAP_NET_BIND_SERVICE"},
                    {"CAP_NET_BIND_SERVICE"}};
  int rc = in_child([&] {
    auto st = apply_capabilities(caps);
    if (!st) return 1;
    std::string s = self_status();
    if (*parse_status_cap_line(s, "CapAmb") != (1ull << CAP_NET_BIND_SERVICE)) return 2;
    if (*parse_status_cap_line(s, "CapInh") != (1ull << CAP_NET_BIND_SERVICE)) return 3;
    if (*parse_status_cap_line(s, "CapEff") != (1ull << CAP_KILL)) return 4;
    if (*parse_status_cap_line(s, "CapBnd") != ((1ull << CAP_KILL) | (1ull << CAP_NET_BIND_SERVICE))) return 5;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(ApplyCapabilities, AbsentMeansNone) {
  ASSERT_EQ(geteuid(), 0u);
  int rc = in_child([] {
    if (!apply_capabilities(std::nullopt)) return 1;
    std::string s = self_status();
    for (const char* f : {"CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"})
      if (*parse_status_cap_line(s, f) != 0) return 2;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(ApplyCapabilities, AmbientNotInheritableIsSkippedAsRuncDoes) {
  ASSERT_EQ(geteuid(), 0u);
  Capabilities caps{{"CAP_KILL"}, {"CAP_KILL"}, {}, {"CAP_KILL"}, {"CAP_KILL"}};
  int rc = in_child([&] {
    auto st = apply_capabilities(caps);
    if (!st) return 1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) != 0) return 2;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace ecsd::runtime
