#include <gtest/gtest.h>

#include "agent/host/doctor.h"

using namespace ecsd::host;
using ecsd::cgroups::Hierarchy;
using ecsd::cgroups::Layout;
using ecsd::cgroups::Mount;

TEST(Doctor, Kernel) {
  EXPECT_EQ(check_kernel("6.1.0-18-amd64").level, Level::ok);
  EXPECT_EQ(check_kernel("4.14.336-255.557.amzn2.x86_64").level, Level::ok);
  EXPECT_EQ(check_kernel("4.9.0-13-amd64").level, Level::warn);
  auto old = check_kernel("3.2.0");
  EXPECT_EQ(old.level, Level::fail);
  EXPECT_FALSE(old.fix.empty());
  EXPECT_EQ(check_kernel("garbage").level, Level::warn);
}

TEST(Doctor, Namespaces) {
  EXPECT_EQ(check_namespaces({"mnt", "uts", "ipc", "pid", "net", "cgroup", "user"}).level, Level::ok);
  auto c = check_namespaces({"mnt", "uts", "ipc", "net"});
  EXPECT_EQ(c.level, Level::fail);
  EXPECT_NE(c.detail.find("pid"), std::string::npos);
}

TEST(Doctor, Cgroups) {
  auto v2 = Hierarchy::from_mounts(Layout::kV2, {Mount{"/sys/fs/cgroup", {"cpu", "memory", "pids", "io"}, true}});
  EXPECT_EQ(check_cgroups(v2).level, Level::ok);
  auto v2_nomem = Hierarchy::from_mounts(Layout::kV2, {Mount{"/sys/fs/cgroup", {"cpu", "pids"}, true}});
  auto c = check_cgroups(v2_nomem);
  EXPECT_EQ(c.level, Level::fail);
  EXPECT_NE(c.detail.find("memory"), std::string::npos);
  EXPECT_NE(c.fix.find("subtree_control"), std::string::npos);
  auto v1 = Hierarchy::from_mounts(Layout::kV1, {Mount{"/sys/fs/cgroup/cpu,cpuacct", {"cpu", "cpuacct"}, false},
                                                 Mount{"/sys/fs/cgroup/memory", {"memory"}, false},
                                                 Mount{"/sys/fs/cgroup/pids", {"pids"}, false}});
  EXPECT_EQ(check_cgroups(v1).level, Level::ok);
  EXPECT_EQ(check_cgroups(ecsd::Result<Hierarchy>(std::unexpected(ecsd::Error::invalid("no cgroups")))).level,
            Level::fail);
}

TEST(Doctor, Overlay) {
  EXPECT_EQ(check_overlay("nodev\tsysfs\nnodev\toverlay\n\text4\n", false).level, Level::ok);
  EXPECT_EQ(check_overlay("nodev\tsysfs\n\text4\n", true).level, Level::warn);
  EXPECT_EQ(check_overlay("nodev\tsysfs\n\text4\n", false).level, Level::fail);
  EXPECT_EQ(check_overlay("nodev\toverlayfs2\n", false).level, Level::fail);
}

TEST(Doctor, Seccomp) {
  EXPECT_EQ(check_seccomp("kill_process kill_thread trap errno user_notif trace log allow", true).level, Level::ok);
  EXPECT_EQ(check_seccomp("", true).level, Level::warn);
  EXPECT_EQ(check_seccomp("", false).level, Level::fail);
  EXPECT_EQ(check_seccomp("kill allow", true).level, Level::fail);
}

TEST(Doctor, UserNamespacesAreNeverRequired) {
  EXPECT_EQ(check_user_namespaces("15000").level, Level::ok);
  EXPECT_EQ(check_user_namespaces("0").level, Level::warn);
  EXPECT_EQ(check_user_namespaces("").level, Level::warn);
}

TEST(Doctor, Nftables) {
  EXPECT_EQ(check_nftables("", true).level, Level::ok);
  EXPECT_EQ(check_nftables("Operation not permitted", false).level, Level::warn);
  EXPECT_EQ(check_nftables("Protocol not supported", true).level, Level::fail);
}

TEST(Doctor, Disk) {
  EXPECT_EQ(check_disk("/var/lib/ecs", 100ull << 30, 200ull << 30).level, Level::ok);
  EXPECT_EQ(check_disk("/var/lib/ecs", 1ull << 30, 200ull << 30).level, Level::warn);
  auto c = check_disk("/var/lib/ecs", 100ull << 20, 200ull << 30);
  EXPECT_EQ(c.level, Level::fail);
  EXPECT_NE(c.detail.find("100 MiB"), std::string::npos);
}

TEST(Doctor, Clock) {
  EXPECT_EQ(check_clock("x", 0, "").level, Level::ok);
  EXPECT_EQ(check_clock("x", -10, "").level, Level::ok);
  EXPECT_EQ(check_clock("x", 120, "").level, Level::warn);
  auto c = check_clock("https://ecs", -3600, "");
  EXPECT_EQ(c.level, Level::fail);
  EXPECT_NE(c.detail.find("3600 s ahead of https://ecs"), std::string::npos);
  EXPECT_EQ(check_clock("x", std::nullopt, "refused").level, Level::warn);
}

TEST(Doctor, HttpDate) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_FALSE(parse_http_date(""));
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

TEST(Doctor, CredentialChainOrder) {
  EnvMap env{{"AWS_ACCESS_KEY_ID", "AKIA"}, {"AWS_SECRET_ACCESS_KEY", "s"}};
  EXPECT_EQ(credential_source(env, true, "role"), "environment");
  EXPECT_EQ(credential_source({{"AWS_ACCESS_KEY_ID", "AKIA"}}, true, "role"), "shared credentials file");
  EXPECT_EQ(credential_source({}, false, "ecsInstanceRole"), "instance profile (ecsInstanceRole)");
  EXPECT_EQ(credential_source({}, false, ""), "");
}

TEST(Doctor, ReportAndExitCode) {
  std::vector<Check> ok{{"kernel", Level::ok, "Linux 6.1", ""}, {"clock", Level::warn, "skew", "enable chrony"}};
  EXPECT_EQ(exit_code(ok), 0);
  auto text = format_report(ok);
  EXPECT_NE(text.find("fix: enable chrony"), std::string::npos);
  EXPECT_NE(text.find("all required checks passed, 1 warning(s)"), std::string::npos);
  ok.push_back({"overlayfs", Level::fail, "missing", "modprobe overlay"});
  EXPECT_EQ(exit_code(ok), 1);
  EXPECT_NE(format_report(ok).find("1 required check(s) failed"), std::string::npos);
}
