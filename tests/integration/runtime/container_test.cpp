// What a process inside an ecsd container observes, and what the host sees
// of its cgroup: isolation, identity, capabilities, seccomp, rlimits, masked
// paths, limits, OOM kills, the pids limit, exit codes and signals, exec,
// and privileged containers.
#include "tests/integration/runtime/runtime_test_util.h"

namespace ecsd::runtime::testing {
namespace {

// Busybox sh probe: one "key value" line per observation.
constexpr const char* kProbe = R"SH(
echo "pid $$"
echo "ppid $PPID"
echo "hostname $(hostname)"
for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do grep "^$f:" /proc/self/status | tr -s '\t ' ' '; done
echo "uid $(id -u)"
echo "gid $(id -g)"
echo "groups $(id -G)"
echo "nofile $(ulimit -Sn) $(ulimit -Hn)"
echo "nproc $(ulimit -Su) $(ulimit -Hu)"
echo "cwd $(pwd)"
echo "env_FOO $FOO"
echo "umask $(umask)"
echo "nprocs $(ls /proc | grep -c '^[0-9]')"
awk '$5 == "/proc" || $5 == "/dev" || $5 == "/sys" || $5 == "/dev/pts" || $5 == "/dev/shm" || $5 == "/dev/mqueue" || $5 == "/sys/fs/cgroup" || $5 == "/" || $5 == "/sys/fs/cgroup/memory" { for (i = 7; $i != "-"; i++); split($6, o, ","); print "mount" $5, $(i+1), o[1] }' /proc/self/mountinfo
echo "keys [$(cat /proc/keys 2>&1)]"
echo "timer_list [$(head -c 20 /proc/timer_list 2>&1)]"
echo "firmware [$(ls /sys/firmware 2>&1)]"
echo "acpi [$(ls /proc/acpi 2>&1)]"
if echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null; then echo "procsys writable"; else echo "procsys readonly"; fi
if touch /rootfs-probe 2>/dev/null; then echo "rootfs writable"; rm -f /rootfs-probe; else echo "rootfs readonly"; fi
if mount -t tmpfs probe /tmp 2>/dev/null; then echo "mount allowed"; umount /tmp; else echo "mount refused"; fi
if unshare -m true 2>/dev/null; then echo "unshare allowed"; else echo "unshare refused"; fi
if echo x > /dev/null; then echo "devnull writable"; fi
echo "oom_score_adj $(cat /proc/self/oom_score_adj)"
ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | awk '{print "dev" $NF, $1}'
echo "netdevs $(ls /sys/class/net | tr '\n' ' ' | sed 's/ $//')"
grep '^Groups:' /proc/self/status | tr -s '\t ' ' ' 
exit 0
)SH";

constexpr CapMask kDockerCaps = 0xa80425fbULL;

TEST_F(RuntimeRootTest, InsideADefaultContainer) {
  std::string id = new_id("inside");
  json c = base_spec(id, {"/bin/sh", "-c", kProbe});
  c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1000}, {"hard", 2000}},
                             {{"type", "RLIMIT_NPROC"}, {"soft", 300}, {"hard", 400}}};
  c["process"]["cwd"] = "/tmp";
  c["process"]["env"].push_back("FOO=bar baz");
  c["process"]["oomScoreAdj"] = 300;
  Cmd r = run_fg(id, c);
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = kv_lines(r.out);
  EXPECT_EQ(m["pid"], "1") << r.out;
  EXPECT_EQ(m["ppid"], "0");
  // Only the container's own (few, freshly numbered) processes are visible.
  // (the shell, the command substitution's subshell, ls and grep; the host
  // has hundreds)
  EXPECT_LT(std::stoi(m["nprocs"]), 8) << r.out;
  EXPECT_EQ(m["hostname"], "rt-host");
  EXPECT_EQ(m["CapEff:"], hex16(kDockerCaps));
  EXPECT_EQ(m["CapPrm:"], hex16(kDockerCaps));
  EXPECT_EQ(m["CapBnd:"], hex16(kDockerCaps));
  EXPECT_EQ(m["CapInh:"], hex16(0));
  EXPECT_EQ(m["CapAmb:"], hex16(0));
  EXPECT_EQ(m["NoNewPrivs:"], "0");
  EXPECT_EQ(m["Seccomp:"], "2") << "Docker's default profile is loaded";
  EXPECT_EQ(m["uid"], "0");
  EXPECT_EQ(m["gid"], "0");
  EXPECT_EQ(m["nofile"], "1000 2000");
  EXPECT_EQ(m["nproc"], "300 400");
  EXPECT_EQ(m["cwd"], "/tmp");
  EXPECT_EQ(m["env_FOO"], "bar baz");
  EXPECT_EQ(m["umask"], "0022");
  EXPECT_EQ(m["oom_score_adj"], "300");
  // Mounts: type and ro/rw of the mount point.
  EXPECT_TRUE(m["mount/"].ends_with(" ro")) << m["mount/"];
  EXPECT_EQ(m["mount/proc"], "proc rw");
  EXPECT_EQ(m["mount/dev"], "tmpfs rw");
  EXPECT_EQ(m["mount/dev/pts"], "devpts rw");
  EXPECT_EQ(m["mount/dev/shm"], "tmpfs rw");
  EXPECT_EQ(m["mount/dev/mqueue"], "mqueue rw");
  EXPECT_EQ(m["mount/sys"], "sysfs ro");
  EXPECT_EQ(m["mount/sys/fs/cgroup"], "tmpfs ro");
  if (hierarchy_.layout() != cgroups::Layout::kV2) {
    EXPECT_EQ(m["mount/sys/fs/cgroup/memory"], "cgroup ro");
  }
  // Masked paths: files read as empty, directories are empty.
  EXPECT_EQ(m["keys"], "[]");
  EXPECT_EQ(m["timer_list"], "[]");
  // (masked only where the host has them)
  if (fs::exists("/sys/firmware")) {
    EXPECT_EQ(m["firmware"], "[]");
  }
  if (fs::exists("/proc/acpi")) {
    EXPECT_EQ(m["acpi"], "[]");
  }
  EXPECT_EQ(m["procsys"], "readonly");
  EXPECT_EQ(m["rootfs"], "readonly");
  // Without CAP_SYS_ADMIN (and with the seccomp profile) both are refused.
  EXPECT_EQ(m["mount"], "refused");
  EXPECT_EQ(m["unshare"], "refused");
  EXPECT_EQ(m["devnull"], "writable");
  for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
    EXPECT_EQ(m[std::string("dev") + d], "crw-rw-rw-") << d;
  EXPECT_EQ(m["netdevs"], "lo") << "a new, empty network namespace";
  EXPECT_TRUE(cgroup_gone(id));
  EXPECT_FALSE(fs::exists(root_ + "/" + id)) << "a foreground run leaves no state";
}

// CAP_MKNOD lets a container create any device node; the device cgroup
// (Docker's rules: deny all, allow the standard nodes) must keep it from
// opening one. /dev/kmsg (1:11) opened write-only needs no capability
// (every kernel has it), so only the device cgroup stands in the way.
TEST_F(RuntimeRootTest, DeviceRulesKeepOtherHostDevicesOut) {
  std::string script =
      "mknod /dev/probe-kmsg c 1 11 || exit 3; if (exec 3>/dev/probe-kmsg) 2>/dev/null; then echo opened; else echo denied; fi";
  std::string id = new_id("devrules");
  Cmd r = run_fg(id, base_spec(id, {"/bin/sh", "-c", script}));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(trim_nl(r.out), "denied");
  // Privileged: every device allowed. (The rules, not a missing node: the
  // same mknod in both.)
  std::string pid = new_id("devpriv");
  auto spec = docker_default_spec();
  ASSERT_TRUE(spec.has_value());
  make_privileged(*spec, host_bounding_set().value(), {});
  json c = spec_to_json(*spec);
  c["root"] = {{"path", rootfs_}, {"readonly", true}};
  c["process"]["args"] = {"/bin/sh", "-c", script};
  c["linux"]["cgroupsPath"] = "/" + cgroup_for(pid);
  Cmd p = run_fg(pid, c);
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_EQ(trim_nl(p.out), "opened");
}

TEST_F(RuntimeRootTest, UserNamespaceWithMappings) {
  std::string id = new_id("userns");
  json c = base_spec(id, {"/bin/sh", "-c", "echo uid $(id -u); echo map $(cat /proc/self/uid_map); exec sleep 600"});
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  c["linux"]["resources"]["pids"] = {{"limit", 30}};
  ASSERT_EQ(run_bg(id, c).code, 0);
  pid_t pid = state(id).value("pid", 0);
  ASSERT_TRUE(wait_until([&] { return read_text(root_ + "/" + id + "/container.log").find("map") != std::string::npos; }));
  std::string log = read_text(root_ + "/" + id + "/container.log");
  EXPECT_NE(log.find("uid 0\\n"), std::string::npos) << log;
  EXPECT_NE(log.find("map 0 200000 65536"), std::string::npos) << log;
  // From the host the process runs as the mapped uid, in its cgroup.
  std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("Uid:\t200000\t200000\t200000\t200000"), std::string::npos) << status;
  EXPECT_NE(read_text(cgroup_dir(id, "pids") + "/cgroup.procs").find(std::to_string(pid)), std::string::npos);
  EXPECT_EQ(trim_nl(read_text(cgroup_dir(id, "pids") + "/pids.max")), "30");
  ASSERT_EQ(rt("delete -f " + id).code, 0);
  EXPECT_TRUE(cgroup_gone(id));
}

TEST_F(RuntimeRootTest, AppUserWithGroupsAndNoNewPrivileges) {
  std::string id = new_id("user");
  json c = base_spec(id, {"/bin/sh", "-c", kProbe});
  c["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 29}}};
  c["process"]["noNewPrivileges"] = true;
  Cmd r = run_fg(id, c);
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = kv_lines(r.out);
  EXPECT_EQ(m["uid"], "1000");
  EXPECT_EQ(m["gid"], "1001");
  EXPECT_EQ(m["Groups:"], "10 29") << "additionalGids are the supplementary groups";
  EXPECT_EQ(m["groups"], "1001 10 29");
  // A non-root user keeps the bounding set but no effective capabilities
  // (as runc and Docker: no ambient capabilities asked).
  EXPECT_EQ(m["CapEff:"], hex16(0));
  EXPECT_EQ(m["CapBnd:"], hex16(kDockerCaps));
  EXPECT_EQ(m["NoNewPrivs:"], "1");
  EXPECT_EQ(m["Seccomp:"], "2");
  EXPECT_EQ(m["devnull"], "writable") << "device nodes are 0666 whatever the umask";
  EXPECT_EQ(m["mount"], "refused");
  EXPECT_EQ(m["unshare"], "refused");
}

TEST_F(RuntimeRootTest, HostSeesTheAskedLimitsInTheCgroupFiles) {
  std::string id = new_id("limits");
  json c = base_spec(id, {"/bin/sleep", "600"});
  c["linux"]["resources"]["memory"] = {{"limit", 96 << 20}, {"swap", 128 << 20}, {"reservation", 32 << 20}};
  c["linux"]["resources"]["cpu"] = {{"shares", 512}, {"quota", 25000}, {"period", 50000}};
  c["linux"]["resources"]["pids"] = {{"limit", 77}};
  Cmd r = run_bg(id, c);
  ASSERT_EQ(r.code, 0) << r.out;
  json st = state(id);
  ASSERT_EQ(st.value("status", ""), "running") << st.dump();
  pid_t pid = st["pid"].get<pid_t>();
  auto file = [&](const std::string& ctl, const std::string& name) {
    return trim_nl(read_text(cgroup_dir(id, ctl) + "/" + name));
  };
  if (hierarchy_.layout() == cgroups::Layout::kV2) {
    EXPECT_EQ(file("memory", "memory.max"), std::to_string(96 << 20));
    EXPECT_EQ(file("memory", "memory.swap.max"), std::to_string(32 << 20));
    EXPECT_EQ(file("memory", "memory.low"), std::to_string(32 << 20));
    EXPECT_EQ(file("cpu", "cpu.weight"), std::to_string(cgroups::shares_to_weight(512)));
    EXPECT_EQ(file("cpu", "cpu.max"), "25000 50000");
    EXPECT_EQ(file("pids", "pids.max"), "77");
  } else {
    EXPECT_EQ(file("memory", "memory.limit_in_bytes"), std::to_string(96 << 20));
    if (fs::exists(cgroup_dir(id, "memory") + "/memory.memsw.limit_in_bytes")) {
      EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), std::to_string(128 << 20));
    }
    EXPECT_EQ(file("memory", "memory.soft_limit_in_bytes"), std::to_string(32 << 20));
    EXPECT_EQ(file("cpu", "cpu.shares"), "512");
    EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "25000");
    EXPECT_EQ(file("cpu", "cpu.cfs_period_us"), "50000");
    EXPECT_EQ(file("pids", "pids.max"), "77");
  }
  // The container's process is in that cgroup in every managed hierarchy.
  for (const char* ctl : {"memory", "cpu", "pids"}) {
    std::string procs = read_text(cgroup_dir(id, ctl) + "/cgroup.procs");
    EXPECT_NE(procs.find(std::to_string(pid)), std::string::npos) << ctl << ": " << procs;
  }
  ASSERT_EQ(rt("delete -f " + id).code, 0);
  EXPECT_TRUE(cgroup_gone(id));
  EXPECT_FALSE(pid_alive(pid));
}

TEST_F(RuntimeRootTest, MemoryHogIsOomKilledAndReportedSo) {
  std::string id = new_id("oom");
  // Doubles a shell string until the 24 MiB limit (no swap) stops it.
  json c = base_spec(id, {"/bin/sh", "-c", "echo started; x=aaaaaaaa; while true; do x=\"$x$x\"; done"});
  c["linux"]["resources"]["memory"] = {{"limit", 24 << 20}, {"swap", 24 << 20}};
  Cmd r = run_bg(id, c);
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_TRUE(wait_stopped(id, 60)) << state(id).dump();
  json st = state(id);
  EXPECT_EQ(st.value("oomKilled", false), true) << st.dump();
  EXPECT_EQ(st.value("exitCode", -1), 137) << st.dump();
  EXPECT_EQ(st.value("signal", ""), "SIGKILL") << st.dump();
  json ex = exit_record(id);
  EXPECT_EQ(ex.value("oomKilled", false), true) << ex.dump();
  // A container killed by us (not the kernel) is not reported as OOM.
  std::string id2 = new_id("nooom");
  json c2 = base_spec(id2, {"/bin/sleep", "600"});
  c2["linux"]["resources"]["memory"] = {{"limit", 24 << 20}};
  ASSERT_EQ(run_bg(id2, c2).code, 0);
  ASSERT_EQ(rt("kill " + id2 + " KILL").code, 0);
  ASSERT_TRUE(wait_stopped(id2));
  EXPECT_EQ(state(id2).value("oomKilled", true), false) << state(id2).dump();
}

TEST_F(RuntimeRootTest, ForkBombStopsAtThePidsLimit) {
  std::string id = new_id("forkbomb");
  // Each round starts as many sleepers as it can; forks beyond the limit fail.
  // A child shell forks sleepers until fork fails (busybox sh then exits);
  // the init survives and keeps running without forking.
  json c = base_spec(id, {"/bin/sh", "-c",
                          "sh -c 'i=0; while [ $i -lt 200 ]; do sleep 600 & i=$((i+1)); done' 2>/dev/null; "
                          "echo survived; exec sleep 600"});
  c["linux"]["resources"]["pids"] = {{"limit", 20}};
  ASSERT_EQ(run_bg(id, c).code, 0);
  std::string pids_dir = cgroup_dir(id, "pids");
  ASSERT_TRUE(wait_until([&] { return read_text(root_ + "/" + id + "/container.log").find("survived") != std::string::npos; }))
      << read_text(root_ + "/" + id + "/container.log");
  uint64_t current = std::stoull(read_text(pids_dir + "/pids.current"));
  EXPECT_LE(current, 20u);
  EXPECT_GE(current, 15u) << "it did fork up to near the limit";
  std::string events = read_text(pids_dir + "/pids.events");
  EXPECT_NE(events.find("max "), std::string::npos);
  EXPECT_EQ(events.find("max 0"), std::string::npos) << "the limit refused forks: " << events;
  EXPECT_EQ(status(id), "running") << "the container's init survives";
  ASSERT_EQ(rt("delete -f " + id).code, 0);
  EXPECT_TRUE(cgroup_gone(id));
}

TEST_F(RuntimeRootTest, ExitCodesAndSignalsAreReported) {
  // Foreground: the runtime exits with the container's code (128+signal).
  std::string a = new_id("exit42");
  EXPECT_EQ(run_fg(a, base_spec(a, {"/bin/sh", "-c", "exit 42"})).code, 42);
  // Signals to the foreground runtime are forwarded to the container. Without
  // a pid namespace the process is not a namespace init, so a default action
  // (death) applies to any signal.
  std::string b = new_id("fwd");
  json cb = base_spec(b, {"/bin/sleep", "600"});
  json ns = json::array();
  for (auto& n : cb["linux"]["namespaces"])
    if (n["type"] != "pid") ns.push_back(n);
  cb["linux"]["namespaces"] = ns;
  std::string pidfile = (dir_ / "fwd.pid").string();
  Cmd fwd = sh(bin("ecsd-runtime") + " --root " + root_ + " run --pid-file " + pidfile + " --bundle " +
               write_bundle(b, cb) + " " + b + " </dev/null & rt=$!; "
               "while [ ! -s " + pidfile + " ]; do sleep 0.05; done; kill -USR1 $rt; wait $rt; echo code $?");
  EXPECT_NE(fwd.out.find("code " + std::to_string(128 + SIGUSR1)), std::string::npos) << fwd.out;
  EXPECT_TRUE(cgroup_gone(b));
  // Detached: the shim records code and signal.
  std::string c = new_id("exit7");
  ASSERT_EQ(run_bg(c, base_spec(c, {"/bin/sh", "-c", "exit 7"})).code, 0);
  ASSERT_TRUE(wait_stopped(c));
  json sc = state(c);
  EXPECT_EQ(sc.value("exitCode", -1), 7);
  EXPECT_FALSE(sc.contains("signal") && !sc["signal"].get<std::string>().empty()) << sc.dump();
  // The init of a pid namespace only dies of signals it handles, or of
  // SIGKILL: a TERM handler's exit code, then SIGKILL.
  std::string d = new_id("sigterm");
  ASSERT_EQ(run_bg(d, base_spec(d, {"/bin/sh", "-c", "trap 'exit 12' TERM; while true; do sleep 1; done"})).code, 0);
  ASSERT_EQ(rt("kill " + d).code, 0) << "default signal SIGTERM";
  ASSERT_TRUE(wait_stopped(d));
  json sd = state(d);
  EXPECT_EQ(sd.value("exitCode", -1), 12) << sd.dump();
  std::string e = new_id("sigkill");
  ASSERT_EQ(run_bg(e, base_spec(e, {"/bin/sleep", "600"})).code, 0);
  ASSERT_EQ(rt("kill " + e + " 9").code, 0);
  ASSERT_TRUE(wait_stopped(e));
  json se = state(e);
  EXPECT_EQ(se.value("signal", ""), "SIGKILL") << se.dump();
  EXPECT_EQ(se.value("exitCode", -1), 128 + SIGKILL);
  EXPECT_EQ(se.value("oomKilled", true), false);
  // Without a pid namespace any signal's default action applies.
  std::string f = new_id("sigusr1");
  json cf = base_spec(f, {"/bin/sleep", "600"});
  cf["linux"]["namespaces"] = ns;
  ASSERT_EQ(run_bg(f, cf).code, 0);
  ASSERT_EQ(rt("kill " + f + " SIGUSR1").code, 0);
  ASSERT_TRUE(wait_stopped(f));
  json sf = state(f);
  EXPECT_EQ(sf.value("signal", ""), "SIGUSR1") << sf.dump();
  EXPECT_EQ(sf.value("exitCode", -1), 128 + SIGUSR1);
}

TEST_F(RuntimeRootTest, ExecRunsWithTheContainersUserCapsSeccompAndCgroup) {
  std::string id = new_id("exec");
  json c = base_spec(id, {"/bin/sleep", "600"});
  c["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10}}};
  c["process"]["noNewPrivileges"] = true;
  c["process"]["env"].push_back("FROM_CONFIG=1");
  c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 777}, {"hard", 888}}};
  c["linux"]["resources"]["pids"] = {{"limit", 50}};
  ASSERT_EQ(run_bg(id, c).code, 0);
  json st = state(id);
  pid_t pid = st["pid"].get<pid_t>();
  std::string init_status = read_text("/proc/" + std::to_string(pid) + "/status");
  Cmd r = rt("exec -e EXTRA=2 " + id +
             " /bin/sh -c 'for f in CapEff CapBnd CapPrm NoNewPrivs Seccomp; do grep \"^$f:\" /proc/self/status | tr -s \"\\t \" \" \"; done; "
             "grep \"^Groups:\" /proc/self/status | tr -s \"\\t \" \" \"; echo uid $(id -u); echo gid $(id -g); echo groups $(id -G); echo nofile $(ulimit -Sn) $(ulimit -Hn); "
             "echo env $FROM_CONFIG$EXTRA; echo init $(cat /proc/1/cmdline | tr \"\\0\" \" \"); "
             "echo hostname $(hostname); echo cg $(grep pids /proc/self/cgroup)'");
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = kv_lines(r.out);
  for (const char* f : {"CapEff:", "CapBnd:", "CapPrm:", "NoNewPrivs:", "Seccomp:"}) {
    std::string want;
    size_t p = init_status.find(std::string("\n") + f);
    ASSERT_NE(p, std::string::npos);
    size_t v = init_status.find_first_not_of(" \t", p + 1 + std::string(f).size());
    want = init_status.substr(v, init_status.find('\n', v) - v);
    EXPECT_EQ(m[f], want) << f << " differs between exec and the container's init";
  }
  EXPECT_EQ(m["NoNewPrivs:"], "1");
  EXPECT_EQ(m["Seccomp:"], "2");
  EXPECT_EQ(m["uid"], "1000");
  EXPECT_EQ(m["gid"], "1000");
  EXPECT_EQ(m["Groups:"], "10");
  EXPECT_EQ(m["nofile"], "777 888");
  EXPECT_EQ(m["env"], "12");
  EXPECT_EQ(m["init"], "/bin/sleep 600") << "same pid namespace";
  EXPECT_EQ(m["hostname"], "rt-host");
  // In the container's cgroup namespace its cgroup is the root.
  EXPECT_EQ(m["cg"].substr(m["cg"].rfind(':') + 1), "/") << m["cg"];
  // Exit codes come back; the user can be overridden.
  EXPECT_EQ(rt("exec " + id + " /bin/sh -c 'exit 9'").code, 9);
  Cmd root_exec = rt("exec -u 0:0 " + id + " /bin/id -u");
  EXPECT_EQ(trim_nl(root_exec.out), "0") << root_exec.out;
  // The same through the shim, as health checks use it.
  Cmd shim_exec = sh(bin("ecsd-shim") + " exec --root " + root_ + " --id " + id + " -- /bin/sh -c 'id -u; exit 3'");
  EXPECT_EQ(shim_exec.code, 3);
  EXPECT_EQ(trim_nl(shim_exec.out), "1000");
  // Killing the exec caller (a health check timing out) kills the command.
  std::string procs_file = cgroup_dir(id, "pids") + "/cgroup.procs";
  pid_t caller = ::fork();
  if (caller == 0) {
    std::string rtbin = bin("ecsd-runtime");
    ::execl(rtbin.c_str(), "ecsd-runtime", "--root", root_.c_str(), "exec", id.c_str(), "/bin/sleep", "777",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until the command really runs (not just its exec helper).
  ASSERT_TRUE(wait_until([&] {
    std::istringstream ps(read_text(procs_file));
    std::string p;
    while (std::getline(ps, p))
      if (read_text("/proc/" + p + "/cmdline") == std::string("/bin/sleep\0" "777\0", 15)) return true;
    return false;
  })) << read_text(procs_file);
  ::kill(caller, SIGTERM);
  int ws = 0;
  ASSERT_EQ(::waitpid(caller, &ws, 0), caller);
  EXPECT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM);
  EXPECT_TRUE(wait_until([&] {
    return trim_nl(read_text(cgroup_dir(id, "pids") + "/cgroup.procs")) == std::to_string(pid);
  })) << "the exec'd command outlived its caller: " << read_text(cgroup_dir(id, "pids") + "/cgroup.procs");
  // A missing command is a clear error, not a hang.
  Cmd missing = rt("exec " + id + " /no/such/binary");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("/no/such/binary"), std::string::npos) << missing.out;
}

TEST_F(RuntimeRootTest, PrivilegedMeansEveryHostCapabilityNoSeccompHostDevicesRwSys) {
  std::string id = new_id("priv");
  auto spec = docker_default_spec();
  ASSERT_TRUE(spec.has_value());
  auto bnd = host_bounding_set();
  ASSERT_TRUE(bnd.has_value()) << bnd.error().message;
  auto devs = list_host_devices();
  ASSERT_TRUE(devs.has_value()) << devs.error().message;
  make_privileged(*spec, *bnd, *devs);
  json c = spec_to_json(*spec);
  c["root"] = {{"path", rootfs_}, {"readonly", true}};
  c["process"]["args"] = {"/bin/sh", "-c", kProbe};
  c["hostname"] = "rt-host";
  c["linux"]["cgroupsPath"] = "/" + cgroup_for(id);
  // A host device that is not one of the defaults must appear.
  std::string extra;
  for (const auto& d : *devs)
    if (d.path != "/dev/null" && d.path != "/dev/zero" && d.path != "/dev/full" && d.path != "/dev/random" &&
        d.path != "/dev/urandom" && d.path != "/dev/tty" && d.type == "c") {
      extra = d.path;
      break;
    }
  ASSERT_FALSE(extra.empty()) << "no extra host char device to look for";
  c["process"]["args"] = {"/bin/sh", "-c", std::string(kProbe).replace(std::string(kProbe).rfind("exit 0"), 6,
                                                                       "ls -l " + extra + " | awk '{print \"extra\", $1}'; exit 0")};
  Cmd r = run_fg(id, c);
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = kv_lines(r.out);
  EXPECT_EQ(m["CapEff:"], hex16(*bnd)) << "every capability this host can grant";
  EXPECT_EQ(m["CapBnd:"], hex16(*bnd));
  EXPECT_EQ(m["Seccomp:"], "0");
  EXPECT_EQ(m["mount/sys"], "sysfs rw");
  EXPECT_EQ(m["mount/sys/fs/cgroup"], "tmpfs rw");
  EXPECT_EQ(m["procsys"], "writable");
  EXPECT_NE(m["timer_list"], "[]") << "no masked paths";
  if (fs::exists("/sys/firmware") && !fs::is_empty("/sys/firmware")) {
    EXPECT_NE(m["firmware"], "[]");
  }
  EXPECT_EQ(m["mount"], "allowed");
  EXPECT_EQ(m["extra"].substr(0, 1), "c") << "host device " << extra << ": " << r.out;
}

}  // namespace
}  // namespace ecsd::runtime::testing
