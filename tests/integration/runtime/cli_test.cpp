// ecsd-runtime's runc-compatible verbs: create, start, state, kill, delete,
// run, exec, list with --root, --bundle and --pid-file.
#include "tests/integration/runtime/runtime_test_util.h"

namespace ecsd::runtime::testing {
namespace {

TEST_F(RuntimeRootTest, CreateStartStateKillDeleteLifecycle) {
  std::string id = new_id("life");
  json c = base_spec(id, {"/bin/sh", "-c", "echo started > /dev/shm/mark; echo hi; sleep 600"});
  std::string bundle = write_bundle(id, c);
  std::string pidfile = (dir_ / "life.pid").string();
  // create: the process exists, in its namespaces and cgroup, but has not
  // run the user's program yet.
  Cmd cr = rt("create --bundle " + bundle + " --pid-file " + pidfile + " " + id);
  ASSERT_EQ(cr.code, 0) << cr.out;
  pid_t pid = std::stoi(read_text(pidfile));
  json st = state(id);
  EXPECT_EQ(st.value("status", ""), "created") << st.dump();
  EXPECT_EQ(st.value("pid", 0), pid);
  EXPECT_EQ(st.value("id", ""), id);
  EXPECT_EQ(st.value("bundle", ""), bundle);
  EXPECT_TRUE(st.contains("ociVersion"));
  EXPECT_TRUE(pid_alive(pid));
  EXPECT_EQ(read_text(root_ + "/" + id + "/container.log"), "") << "nothing ran before start";
  EXPECT_NE(read_text(cgroup_dir(id, "pids") + "/cgroup.procs").find(std::to_string(pid)), std::string::npos);
  // A second create with the same id is refused.
  Cmd dup = rt("create --bundle " + bundle + " " + id);
  EXPECT_NE(dup.code, 0);
  EXPECT_NE(dup.out.find("already exists"), std::string::npos) << dup.out;
  // start
  Cmd s = rt("start " + id);
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_EQ(status(id), "running");
  EXPECT_TRUE(wait_until([&] { return read_text(root_ + "/" + id + "/container.log").find("hi") != std::string::npos; }));
  EXPECT_NE(rt("start " + id).code, 0) << "start twice";
  // list (table and json)
  Cmd lt = rt("list");
  EXPECT_EQ(lt.code, 0);
  EXPECT_NE(lt.out.find(id), std::string::npos) << lt.out;
  EXPECT_NE(lt.out.find("running"), std::string::npos);
  Cmd lj = rt("list --format json");
  json arr = json::parse(lj.out, nullptr, false);
  ASSERT_TRUE(arr.is_array()) << lj.out;
  bool found = false;
  for (auto& e : arr)
    if (e["id"] == id) {
      found = true;
      EXPECT_EQ(e["status"], "running");
      EXPECT_EQ(e["pid"], pid);
    }
  EXPECT_TRUE(found) << lj.out;
  Cmd lq = rt("list -q");
  EXPECT_EQ(trim_nl(lq.out), id);
  // delete of a running container needs -f
  Cmd del = rt("delete " + id);
  EXPECT_NE(del.code, 0);
  EXPECT_NE(del.out.find("running"), std::string::npos) << del.out;
  // exec
  Cmd ex = rt("exec " + id + " /bin/cat /dev/shm/mark");
  EXPECT_EQ(ex.code, 0);
  EXPECT_EQ(trim_nl(ex.out), "started");
  // kill (default SIGTERM is ignored by a pid 1 without a handler: use the
  // name forms runc accepts)
  ASSERT_EQ(rt("kill " + id + " SIGKILL").code, 0);
  ASSERT_TRUE(wait_stopped(id));
  EXPECT_FALSE(pid_alive(pid));
  json after = state(id);
  EXPECT_EQ(after.value("exitCode", -1), 137);
  EXPECT_NE(rt("kill " + id + " KILL").code, 0) << "kill of a stopped container is an error";
  ASSERT_EQ(rt("delete " + id).code, 0);
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
  EXPECT_TRUE(cgroup_gone(id));
  Cmd gone = rt("state " + id);
  EXPECT_NE(gone.code, 0);
  EXPECT_NE(gone.out.find(id), std::string::npos) << gone.out;
}

TEST_F(RuntimeRootTest, DeleteOfACreatedContainerAndKillAll) {
  std::string id = new_id("created");
  ASSERT_EQ(rt("create --bundle " + write_bundle(id, base_spec(id, {"/bin/true"})) + " " + id).code, 0);
  pid_t pid = state(id).value("pid", 0);
  ASSERT_TRUE(pid_alive(pid));
  EXPECT_EQ(rt("delete " + id).code, 0) << "a created container can be deleted (runc does)";
  EXPECT_TRUE(wait_until([&] { return !pid_alive(pid); }));
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
  EXPECT_TRUE(cgroup_gone(id));

  std::string id2 = new_id("killall");
  ASSERT_EQ(run_bg(id2, base_spec(id2, {"/bin/sh", "-c", "sleep 600 & sleep 600 & wait"})).code, 0);
  ASSERT_TRUE(wait_until([&] {
    std::string p = read_text(cgroup_dir(id2, "pids") + "/cgroup.procs");
    return std::count(p.begin(), p.end(), '\n') >= 3;
  }));
  ASSERT_EQ(rt("kill --all " + id2 + " 9").code, 0);
  ASSERT_TRUE(wait_stopped(id2));
  EXPECT_TRUE(wait_until([&] { return trim_nl(read_text(cgroup_dir(id2, "pids") + "/cgroup.procs")).empty(); }));
  ASSERT_EQ(rt("delete " + id2).code, 0);
  EXPECT_TRUE(cgroup_gone(id2));
}

TEST_F(RuntimeRootTest, RunForegroundWithPidFileAndStdio) {
  std::string id = new_id("fg");
  std::string pidfile = (dir_ / "fg.pid").string();
  json c = base_spec(id, {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  Cmd r = rt("run --bundle " + write_bundle(id, c) + " --pid-file " + pidfile + " " + id);
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("out\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("err\n"), std::string::npos) << r.out;
  EXPECT_GT(std::stoi(read_text(pidfile)), 0);
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
  EXPECT_TRUE(cgroup_gone(id));
  // The bundle defaults to the current directory, as with runc.
  std::string id2 = new_id("cwd");
  std::string b2 = write_bundle(id2, base_spec(id2, {"/bin/sh", "-c", "exit 0"}));
  Cmd r2 = sh("cd " + b2 + " && " + bin("ecsd-runtime") + " --root " + root_ + " run " + id2 + " </dev/null");
  EXPECT_EQ(r2.code, 0) << r2.out;
}

TEST_F(RuntimeRootTest, RuncStyleArgumentsAndErrors) {
  std::string id = new_id("args");
  std::string b = write_bundle(id, base_spec(id, {"/bin/sleep", "600"}));
  // --bundle=DIR, -b DIR, -d, and runc's global options are accepted.
  Cmd r = sh(bin("ecsd-runtime") + " --log /dev/null --log-format json --root=" + root_ + " run -d -b " + b + " " +
             id + " </dev/null");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(status(id), "running");
  EXPECT_EQ(rt("delete --force " + id).code, 0);
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
  Cmd bad = rt("frobnicate x");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("unknown command"), std::string::npos) << bad.out;
  Cmd badopt = rt("run --no-such-flag x");
  EXPECT_NE(badopt.code, 0);
  EXPECT_NE(badopt.out.find("--no-such-flag"), std::string::npos) << badopt.out;
  Cmd noid = rt("state");
  EXPECT_NE(noid.code, 0);
  Cmd badid = rt("state ../etc");
  EXPECT_NE(badid.code, 0);
  Cmd tty = rt("create --console-socket /tmp/x --bundle " + b + " " + id);
  EXPECT_NE(tty.code, 0);
  EXPECT_NE(tty.out.find("console-socket"), std::string::npos) << tty.out;
  EXPECT_FALSE(fs::exists(root_ + "/" + id));
  Cmd v = sh(bin("ecsd-runtime") + " --version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("spec: 1."), std::string::npos) << v.out;
}

}  // namespace
}  // namespace ecsd::runtime::testing
