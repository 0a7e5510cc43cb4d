#include "netns/dns_files.h"

#include <gtest/gtest.h>

using namespace ecsd::netns;

TEST(ResolvConf, GivenServersAndSearchReplaceTheHosts) {
  std::string host = "search corp.example\nnameserver 10.0.0.2\noptions ndots:2 timeout:1\n";
  EXPECT_EQ(render_resolv_conf({{"1.1.1.1", "9.9.9.9"}, {"a.example", "b.example"}}, host),
            "search a.example b.example\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions ndots:2 timeout:1\n");
}

TEST(ResolvConf, HostServersKeptLocalhostAndIpv6Dropped) {
  std::string host =
      "# comment\ndomain ec2.internal\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
      "nameserver ::1\nnameserver fd00::2\n";
  EXPECT_EQ(render_resolv_conf({}, host), "search ec2.internal\nnameserver 10.0.0.2\n");
}

TEST(ResolvConf, OnlyLocalhostResolverFallsBackToGoogle) {
  std::string host = "nameserver 127.0.0.11\nsearch x.internal\n";
  EXPECT_TRUE(only_localhost_nameservers(host));
  EXPECT_FALSE(only_localhost_nameservers("nameserver 127.0.0.53\nnameserver 10.0.0.2\n"));
  EXPECT_FALSE(only_localhost_nameservers(""));
  EXPECT_EQ(render_resolv_conf({}, host), "search x.internal\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(render_resolv_conf({}, ""), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(Hosts, LocalhostExtraHostsAndOwnName) {
  std::string h = render_hosts("web-1", "172.17.0.5", {{"db.local", "10.0.0.9"}});
  EXPECT_EQ(h,
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "10.0.0.9\tdb.local\n"
            "172.17.0.5\tweb-1\n");
  std::string none = render_hosts("lonely", "", {});
  EXPECT_EQ(none.find("lonely"), std::string::npos);
  EXPECT_NE(none.find("127.0.0.1\tlocalhost\n"), std::string::npos);
}

TEST(Hosts, HostModeAppendsExtraHosts) {
  EXPECT_EQ(render_host_mode_hosts("127.0.0.1 localhost", {{"x", "1.2.3.4"}}),
            "127.0.0.1 localhost\n1.2.3.4\tx\n");
}

TEST(Hostname, RenderAndValidate) {
  EXPECT_EQ(render_hostname("web-1"), "web-1\n");
  EXPECT_TRUE(valid_hostname("ip-10-0-0-1.ec2.internal"));
  EXPECT_FALSE(valid_hostname(""));
  EXPECT_FALSE(valid_hostname("-bad"));
  EXPECT_FALSE(valid_hostname("bad-"));
  EXPECT_FALSE(valid_hostname("a..b"));
  EXPECT_FALSE(valid_hostname("under_score"));
  EXPECT_FALSE(valid_hostname(std::string(64, 'a')));
  EXPECT_TRUE(valid_hostname(std::string(63, 'a')));
}
