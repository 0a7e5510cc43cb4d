// prepare_host / cleanup_host over a fake /proc/sys tree (no root, no nft):
// what gets changed, recorded, restored and left alone.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/host/prepare.h"
#include "common/file_util.h"

namespace fs = std::filesystem;
using namespace ecsd::host;

namespace {

struct FakeHost : ::testing::Test {
  fs::path dir;
  void SetUp() override {
    char tmpl[] = "/tmp/ecsd-prepare-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    put("proc/net/ipv4/ip_forward", "0\n");
    put("proc/net/ipv4/conf/ecs-br0/route_localnet", "0\n");
    put("proc/net/ipv4/conf/eth7/route_localnet", "0\n");
  }
  void TearDown() override { fs::remove_all(dir); }
  void put(const std::string& rel, const std::string& v) {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << v;
  }
  std::string get(const std::string& rel) {
    auto v = ecsd::read_file((dir / rel).string());
    return v ? std::string(ecsd::trim(*v)) : "<missing>";
  }
  PrepareOptions opts() {
    PrepareOptions o;
    o.nft = false;
    o.proc_sys = (dir / "proc").string();
    o.record_path = (dir / "run/ecsd/host-prepare.json").string();
    o.route_localnet_interfaces = {"ecs-br0", "eth7", "absent0"};
    o.dirs = {{(dir / "var/lib/ecs/data").string(), 0700}, {(dir / "var/log/ecs").string(), 0755}};
    return o;
  }
};

}  // namespace

TEST_F(FakeHost, PrepareSetsRecordsAndCreatesDirs) {
  auto r = prepare_host(opts());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(get("proc/net/ipv4/ip_forward"), "1");
  EXPECT_EQ(get("proc/net/ipv4/conf/ecs-br0/route_localnet"), "1");
  EXPECT_EQ(get("proc/net/ipv4/conf/eth7/route_localnet"), "1");
  struct stat sb{};
  ASSERT_EQ(stat((dir / "var/lib/ecs/data").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0700u);
  auto rec = record_from_json(get("run/ecsd/host-prepare.json"));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->sysctls.size(), 3u);
  EXPECT_EQ(rec->table, "");
}

TEST_F(FakeHost, PrepareIsIdempotentAndKeepsOriginalValues) {
  ASSERT_TRUE(prepare_host(opts()));
  auto first = get("run/ecsd/host-prepare.json");
  ASSERT_TRUE(prepare_host(opts()));
  auto rec = record_from_json(get("run/ecsd/host-prepare.json"));
  ASSERT_TRUE(rec);
  ASSERT_EQ(rec->sysctls.size(), 3u);
  for (const auto& c : rec->sysctls) EXPECT_EQ(c.previous, "0") << c.key;
}

TEST_F(FakeHost, CleanupRestoresOnlyWhatItChanged) {
  put("proc/net/ipv4/conf/eth8/route_localnet", "1\n");  // already on: not ours
  auto o = opts();
  o.route_localnet_interfaces.push_back("eth8");
  ASSERT_TRUE(prepare_host(o));
  auto r = cleanup_host(o.record_path, o.proc_sys);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(get("proc/net/ipv4/conf/eth7/route_localnet"), "0");       // restored
  EXPECT_EQ(get("proc/net/ipv4/conf/eth8/route_localnet"), "1");       // never ours
  EXPECT_EQ(get("proc/net/ipv4/conf/ecs-br0/route_localnet"), "1");    // bridge: tasks need it
  EXPECT_EQ(get("proc/net/ipv4/ip_forward"), "1");                     // containers need it
  EXPECT_EQ(get("run/ecsd/host-prepare.json"), "<missing>");
  EXPECT_TRUE(fs::exists(dir / "var/lib/ecs/data"));                   // data is never removed
}

TEST_F(FakeHost, CleanupLeavesValuesSomeoneElseChanged) {
  auto o = opts();
  ASSERT_TRUE(prepare_host(o));
  put("proc/net/ipv4/conf/eth7/route_localnet", "2\n");  // changed by someone else since
  ASSERT_TRUE(cleanup_host(o.record_path, o.proc_sys));
  EXPECT_EQ(get("proc/net/ipv4/conf/eth7/route_localnet"), "2");
}

TEST_F(FakeHost, CleanupWithoutRecordIsANoOp) {
  auto r = cleanup_host((dir / "nope.json").string(), (dir / "proc").string());
  ASSERT_TRUE(r);
  EXPECT_EQ(get("proc/net/ipv4/ip_forward"), "0");
}

TEST_F(FakeHost, RejectsBadInterfaceNames) {
  auto o = opts();
  o.route_localnet_interfaces = {"../../kernel"};
  EXPECT_FALSE(prepare_host(o));
  EXPECT_EQ(get("proc/net/ipv4/ip_forward"), "0");
}
