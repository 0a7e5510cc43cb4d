// Bad input gives a clear error naming the field and leaves nothing behind:
// no state dir, cgroup, mount or process.
#include "tests/integration/runtime/runtime_test_util.h"

namespace ecsd::runtime::testing {
namespace {

struct BadCase {
  const char* name;
  std::function<void(json&)> edit;
  const char* must_mention;
};

class BadInput : public RuntimeRootTest {
 protected:
  void expect_refused(const BadCase& bc, bool detached) {
    SCOPED_TRACE(std::string(bc.name) + (detached ? " (run -d)" : " (run)"));
    std::string id = new_id(std::string("bad-") + bc.name + (detached ? "-d" : ""));
    json c = base_spec(id, {"/bin/true"});
    bc.edit(c);
    int mounts_before = mounts_mentioning(rootfs_);
    Cmd r = detached ? run_bg(id, c) : run_fg(id, c);
    EXPECT_NE(r.code, 0) << r.out;
    EXPECT_NE(r.out.find(bc.must_mention), std::string::npos) << "error should name " << bc.must_mention << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one clear line: " << r.out;
    EXPECT_FALSE(fs::exists(root_ + "/" + id)) << "state dir left behind";
    EXPECT_TRUE(cgroup_gone(id)) << "cgroup left behind";
    EXPECT_EQ(mounts_mentioning(rootfs_), mounts_before) << "mount left behind";
    Cmd ps = sh("ps -eo args | grep -F -- '" + id + "' | grep -v grep");
    EXPECT_TRUE(trim_nl(ps.out).empty()) << "process left behind: " << ps.out;
  }
};

const BadCase kCases[] = {
    {"unknown-field", [](json& c) { c["linux"]["intelRdt"] = {{"closID", "x"}}; }, "linux.intelRdt"},
    {"unknown-nested", [](json& c) { c["process"]["user"]["nickname"] = "bob"; }, "process.user.nickname"},
    {"wrong-type", [](json& c) { c["process"]["user"]["uid"] = "root"; }, "process.user.uid"},
    {"bad-namespace", [](json& c) { c["linux"]["namespaces"].push_back({{"type", "time-travel"}}); },
     "linux.namespaces"},
    {"missing-rootfs", [](json& c) { c["root"]["path"] = "/nonexistent/ecsd-rootfs"; }, "root.path"},
    {"memory-too-small", [](json& c) { c["linux"]["resources"]["memory"] = {{"limit", 4096}}; },
     "linux.resources.memory.limit"},
    {"swap-below-memory",
     [](json& c) { c["linux"]["resources"]["memory"] = {{"limit", 64 << 20}, {"swap", 32 << 20}}; },
     "linux.resources.memory.swap"},
    {"cpu-period", [](json& c) { c["linux"]["resources"]["cpu"] = {{"quota", 1000}, {"period", 5}}; },
     "linux.resources.cpu.period"},
    // Passes every check a config can get before the kernel sees it: the
    // cgroup exists when the write fails, and must be removed again.
    {"cpuset-no-such-cpu", [](json& c) { c["linux"]["resources"]["cpu"] = {{"cpus", "4095"}}; }, "linux.resources.cpu.cpus"},
    {"rlimit-above-host-hard",
     [](json& c) { c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 1u << 30}}}; },
     "RLIMIT_NOFILE"},
    {"rlimit-unknown", [](json& c) { c["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}}; },
     "RLIMIT_BOGUS"},
    {"unknown-capability", [](json& c) { c["process"]["capabilities"]["effective"].push_back("CAP_TELEPORT"); },
     "process.capabilities.effective"},
    {"bind-source-missing",
     [](json& c) {
       c["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", "/nonexistent/src"},
                              {"options", {"rbind"}}});
     },
     "mounts[7].source"},
    // Found missing only inside the container, after namespaces, mounts
    // and the cgroup exist.
    {"missing-executable", [](json& c) { c["process"]["args"] = {"/no/such/program"}; }, "/no/such/program"},
    {"bad-sysctl", [](json& c) { c["linux"]["sysctl"] = {{"kernel.no_such_knob", "1"}}; }, "linux.sysctl"},
};

TEST_F(BadInput, ForegroundRunRefusesAndLeavesNothing) {
  for (const auto& bc : kCases) expect_refused(bc, false);
}

TEST_F(BadInput, DetachedRunRefusesAndLeavesNothing) {
  for (const auto& bc : kCases) expect_refused(bc, true);
}

TEST_F(BadInput, CreateRefusesAndLeavesNothing) {
  std::string id = new_id("bad-create");
  json c = base_spec(id, {"/no/such/program"});
  Cmd r = rt("create --bundle " + write_bundle(id, c) + " " + id);
  // The executable is looked up at create time (as runc does), so create
  // itself fails.
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("/no/such/program"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
  EXPECT_TRUE(cgroup_gone(id));
}

TEST_F(BadInput, ConfigThatIsNotJson) {
  std::string id = new_id("bad-json");
  fs::path b = dir_ / "bundle-notjson";
  fs::create_directories(b);
  std::ofstream(b / "config.json") << "{\"ociVersion\": \"1.0.2\", ";
  Cmd r = rt("run --bundle " + b.string() + " " + id);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("config.json"), std::string::npos) << r.out;
  Cmd missing = rt("run --bundle " + (dir_ / "no-bundle").string() + " " + id);
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("config.json"), std::string::npos) << missing.out;
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
}

}  // namespace
}  // namespace ecsd::runtime::testing
