// ecsd-shim: stays the container's parent when whoever started it goes away,
// writes Docker json-file logs, and records the exit status durably.
#include <fcntl.h>

#include "tests/integration/runtime/runtime_test_util.h"

namespace ecsd::runtime::testing {
namespace {

// Starts `ecsd-shim run` (not detached) as the grandchild of a "parent"
// process that leads its own process group, the way an agent would start
// it. Returns the parent's pid; the shim's "ok <pid>" line goes to *ready.
pid_t start_shim_under_parent(const std::string& shim, const std::string& root, const std::string& id,
                              const std::string& bundle, std::string* ready) {
  int p[2];
  if (::pipe(p) != 0) return -1;
  pid_t parent = ::fork();
  if (parent == 0) {
    ::setpgid(0, 0);
    ::close(p[0]);
    pid_t shim_pid = ::fork();
    if (shim_pid == 0) {
      ::dup2(p[1], 3);
      int null_fd = ::open("/dev/null", O_RDWR);
      ::dup2(null_fd, 0);
      ::dup2(null_fd, 1);
      ::execl(shim.c_str(), "ecsd-shim", "run", "--root", root.c_str(), "--id", id.c_str(), "--bundle",
              bundle.c_str(), "--ready-fd", "3", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(p[1]);
    for (;;) ::pause();  // the "agent": waits until killed
  }
  ::close(p[1]);
  char buf[256];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0) {
    ready->append(buf, static_cast<size_t>(n));
    if (ready->find('\n') != std::string::npos) break;
  }
  ::close(p[0]);
  return parent;
}

TEST_F(RuntimeRootTest, ContainerOutlivesTheShimsParentAndItsExitIsStillRecorded) {
  std::string id = new_id("orphan");
  json c = base_spec(id, {"/bin/sh", "-c", "echo up; trap 'echo bye; exit 5' TERM; while true; do sleep 1; done"});
  std::string bundle = write_bundle(id, c);
  fs::create_directories(root_);
  std::string ready;
  pid_t parent = start_shim_under_parent(bin("ecsd-shim"), root_, id, bundle, &ready);
  ASSERT_GT(parent, 0);
  ASSERT_EQ(ready.rfind("ok ", 0), 0u) << ready;
  json st = state(id);
  ASSERT_EQ(st.value("status", ""), "running") << st.dump();
  pid_t pid = st["pid"].get<pid_t>();
  pid_t shim = 0;
  {
    json raw = json::parse(read_text(root_ + "/" + id + "/state.json"));
    shim = raw.value("shimPid", 0);
  }
  ASSERT_GT(shim, 0);
  // Everything the agent's group gets (a service manager stopping it), then
  // the agent itself dies hard.
  ::kill(-parent, SIGTERM);
  ::kill(-parent, SIGINT);
  ::kill(-parent, SIGHUP);
  ::kill(parent, SIGKILL);
  int ws;
  ASSERT_EQ(::waitpid(parent, &ws, 0), parent);
  ASSERT_TRUE(wait_until([&] { return read_text(root_ + "/" + id + "/container.log").find("up") != std::string::npos; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(pid_alive(pid)) << "the container must not notice its starter going away";
  EXPECT_TRUE(pid_alive(shim)) << "the shim stays as the container's parent";
  EXPECT_EQ(status(id), "running");
  // A later caller (the restarted agent) stops it; the shim records the exit.
  ASSERT_EQ(rt("kill " + id + " TERM").code, 0);
  ASSERT_TRUE(wait_stopped(id));
  json ex = exit_record(id);
  EXPECT_EQ(ex.value("exitCode", -1), 5) << ex.dump();
  EXPECT_EQ(ex.value("oomKilled", true), false);
  EXPECT_TRUE(ex.contains("finishedAt"));
  EXPECT_TRUE(wait_until([&] { return !pid_alive(shim); })) << "the shim exits after recording";
  std::string log = read_text(root_ + "/" + id + "/container.log");
  EXPECT_NE(log.find("\"log\":\"bye\\n\""), std::string::npos) << log;
}

TEST_F(RuntimeRootTest, ShimWritesJsonFileLogsAndADurableExitRecord) {
  std::string id = new_id("logs");
  // stdout and stderr, a partial last line, quotes, a tab and a non-ASCII byte.
  json c = base_spec(id, {"/bin/sh", "-c",
                          "echo 'line one'; echo 'to \"stderr\"' >&2; printf 'tab\\there\\n'; printf 'caf\\303\\251\\n'; "
                          "printf 'no newline'; exit 4"});
  ASSERT_EQ(run_bg(id, c).code, 0);
  ASSERT_TRUE(wait_stopped(id));
  std::istringstream log(read_text(root_ + "/" + id + "/container.log"));
  std::vector<json> recs;
  std::string line;
  while (std::getline(log, line)) {
    json j = json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.size(), 3u) << line;
    ASSERT_TRUE(j.contains("log") && j.contains("stream") && j.contains("time")) << line;
    std::string t = j["time"];
    // Go's RFC3339Nano in UTC, as Docker writes it: 2024-01-02T03:04:05.12345678Z
    // (up to 9 fraction digits, trailing zeros dropped).
    EXPECT_TRUE(t.size() >= 20 && t.size() <= 30 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t.back() == 'Z')
        << t;
    recs.push_back(j);
  }
  std::multiset<std::string> out, err;
  for (auto& r : recs) (r["stream"] == "stdout" ? out : err).insert(r["log"].get<std::string>());
  EXPECT_EQ(out, (std::multiset<std::string>{"line one\n", "tab\there\n", "caf\xc3\xa9\n", "no newline"}));
  EXPECT_EQ(err, (std::multiset<std::string>{"to \"stderr\"\n"}));
  // The exit record is a file of its own, complete (written by rename).
  json ex = exit_record(id);
  ASSERT_FALSE(ex.is_discarded());
  EXPECT_EQ(ex.value("exitCode", -1), 4);
  for (const auto& e : fs::directory_iterator(root_ + "/" + id))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "leftover " << e.path();
}

}  // namespace
}  // namespace ecsd::runtime::testing
