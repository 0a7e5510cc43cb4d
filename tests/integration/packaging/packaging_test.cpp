// The packages as an operator meets them: metadata, contents, lint, the unit,
// install / upgrade / remove in a throwaway root (tests/integration/packaging/
// troot: overlays of the host's own /usr, /etc, /var in a private mount
// namespace, so the host is never changed), and the KillMode=process
// contract: stopping the agent leaves its containers and shims running.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct Out {
  int rc = -1;
  std::string out;
};

Out sh(const std::string& cmd) {
  Out o;
  FILE* p = ::popen(("(" + cmd + ") 2>&1").c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int st = ::pclose(p);
  o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return o;
}

// Shell single-quoting.
std::string q(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

const std::string kTest = ECSD_PACKAGING_TEST_DIR;
const std::string kPkgs = std::string(ECSD_BINARY_DIR) + "/test-packages";

std::string version() {
  // "ecsd 0.1.0 (commit abc)"
  auto v = sh(std::string(ECSD_BIN_DIR) + "/ecsd --version").out;
  auto a = v.find(' '), b = v.find(' ', a + 1);
  return v.substr(a + 1, b - a - 1);
}

std::string arch() {
  auto a = sh("dpkg --print-architecture").out;
  while (!a.empty() && a.back() == '\n') a.pop_back();
  return a;
}

std::string deb(int release) { return kPkgs + "/ecsd_" + version() + "-" + std::to_string(release) + "_" + arch() + ".deb"; }
std::string rpm(int release) {
  return kPkgs + "/ecsd-" + version() + "-" + std::to_string(release) + "." + sh("uname -m").out.substr(0, sh("uname -m").out.size() - 1) + ".rpm";
}

class Packaging : public ::testing::Test {
 protected:
  std::string state;  // troot state dir

  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the packaging suite needs root (overlay mounts, containers)";
    auto b = sh(kTest + "/build-test-packages " + q(ECSD_SOURCE_DIR) + " " + q(ECSD_BINARY_DIR) + " " + q(kPkgs));
    ASSERT_EQ(b.rc, 0) << b.out;
    char tmpl[] = "/tmp/ecsd-pkgtest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    state = tmpl;
  }
  void TearDown() override {
    if (!state.empty()) fs::remove_all(state);
  }
  // Runs a shell command inside the throwaway root's namespace ($TROOT set).
  Out in_root(const std::string& cmd) { return sh(kTest + "/troot " + q(state) + " sh -c " + q(cmd)); }
  std::string root() const { return state + "/root"; }
  // Paths inside the root exist only in its namespace: ask there.
  bool r_test(const char* flag, const std::string& p) {
    return in_root(std::string("test ") + flag + " \"$TROOT" + p + "\"").rc == 0;
  }
  bool r_exists(const std::string& p) { return r_test("-e", p) || r_test("-L", p); }
  bool r_symlink(const std::string& p) { return r_test("-L", p); }
  bool r_dir(const std::string& p) { return r_test("-d", p); }
  std::string r_cat(const std::string& p) { return in_root("cat \"$TROOT" + p + "\"").out; }
  void r_append(const std::string& p, const std::string& line) {
    ASSERT_EQ(in_root("echo " + q(line) + " >> \"$TROOT" + p + "\"").rc, 0);
  }
  std::string calls() {
    std::ifstream in(state + "/upper/var/log/systemctl-calls");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

TEST_F(Packaging, DebMetadataAndContents) {
  auto info = sh("dpkg-deb -I " + q(deb(1)));
  ASSERT_EQ(info.rc, 0) << info.out;
  EXPECT_NE(info.out.find(" Package: ecsd\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find(" Version: " + version() + "-1\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find(" Architecture: " + arch() + "\n"), std::string::npos);
  EXPECT_NE(info.out.find("libc6 (>="), std::string::npos) << "shlibs dependencies missing:\n" << info.out;
  EXPECT_NE(info.out.find("ca-certificates"), std::string::npos);
  for (const char* s : {"postinst", "prerm", "postrm", "conffiles", "md5sums"})
    EXPECT_NE(info.out.find(s), std::string::npos) << s;
  EXPECT_EQ(sh("dpkg-deb -f " + q(deb(1)) + " Version").out, version() + "-1\n");
  auto conf = sh("dpkg-deb --ctrl-tarfile " + q(deb(1)) + " | tar -xO ./conffiles");
  EXPECT_EQ(conf.out, "/etc/ecs/ecs.config\n");

  auto c = sh("dpkg-deb -c " + q(deb(1)));
  ASSERT_EQ(c.rc, 0) << c.out;
  for (const char* want : {"-rwxr-xr-x root/root .* ./usr/bin/ecsd$", "-rwxr-xr-x root/root .* ./usr/bin/ecsd-runtime$",
                           "-rwxr-xr-x root/root .* ./usr/libexec/ecsd/ecsd-shim$",
                           "-rwxr-xr-x root/root .* ./usr/libexec/ecsd/ecsd-init$",
                           "-rw-r--r-- root/root .* ./lib/systemd/system/ecsd.service$",
                           "-rw-r--r-- root/root .* ./etc/ecs/ecs.config$", "drwx------ root/root .* ./var/lib/ecs/data/$",
                           "drwxr-xr-x root/root .* ./var/log/ecs/$", "./usr/share/doc/ecsd/copyright$"}) {
    auto g = sh("dpkg-deb -c " + q(deb(1)) + " | grep -E -e " + q(want));
    EXPECT_EQ(g.rc, 0) << "no " << want << " in\n" << c.out;
  }
  // No shim in /usr/bin: it is an internal helper.
  EXPECT_EQ(c.out.find("./usr/bin/ecsd-shim"), std::string::npos);
}

TEST_F(Packaging, RpmMetadataAndContents) {
  auto i = sh("rpm -qip " + q(rpm(1)));
  ASSERT_EQ(i.rc, 0) << i.out;
  EXPECT_NE(i.out.find("Name        : ecsd"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("Version     : " + version() + "\n"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("Release     : 1\n"), std::string::npos) << i.out;
  auto l = sh("rpm -qlp " + q(rpm(1)));
  for (const char* f : {"/usr/bin/ecsd\n", "/usr/bin/ecsd-runtime\n", "/usr/libexec/ecsd/ecsd-shim\n",
                        "/usr/libexec/ecsd/ecsd-init\n",
                        "/usr/lib/systemd/system/ecsd.service\n", "/etc/ecs/ecs.config\n", "/var/lib/ecs/data\n",
                        "/var/log/ecs\n"})
    EXPECT_NE(l.out.find(f), std::string::npos) << f << " missing:\n" << l.out;
  EXPECT_EQ(sh("rpm -qp --configfiles " + q(rpm(1))).out, "/etc/ecs/ecs.config\n");
  // noreplace: the state flags of %config(noreplace) show in --dump as config=1.
  auto dump = sh("rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\\n]' " + q(rpm(1)) + " | grep ecs.config");
  EXPECT_NE(dump.out.find("/etc/ecs/ecs.config cn"), std::string::npos) << dump.out;
  auto req = sh("rpm -qp --requires " + q(rpm(1)));
  for (const char* r : {"glibc\n", "libstdc++\n", "libcurl\n", "ca-certificates\n"})
    EXPECT_NE(req.out.find(r), std::string::npos) << r << " not required:\n" << req.out;
  // Debian names must not leak into the rpm.
  EXPECT_EQ(req.out.find("libc6"), std::string::npos);
  auto scripts = sh("rpm -qp --scripts " + q(rpm(1)));
  EXPECT_NE(scripts.out.find("enable ecsd.service"), std::string::npos) << scripts.out;
  EXPECT_NE(scripts.out.find("try-restart ecsd.service"), std::string::npos) << scripts.out;
  EXPECT_EQ(scripts.out.find("systemctl start"), std::string::npos) << scripts.out;
}

TEST_F(Packaging, LintianHasNoErrorsOrWarnings) {
  auto l = sh("lintian --fail-on error,warning " + q(deb(1)));
  EXPECT_EQ(l.rc, 0) << l.out;
  EXPECT_EQ(l.out.find("E: "), std::string::npos) << l.out;
  EXPECT_EQ(l.out.find("W: "), std::string::npos) << l.out;
}

TEST_F(Packaging, UnitVerifiesAndHasTheServiceContract) {
  auto r = in_root("dpkg --root=\"$TROOT\" -i " + q(deb(1)) + " </dev/null >/dev/null 2>&1 && "
                   "chroot \"$TROOT\" systemd-analyze verify /lib/systemd/system/ecsd.service");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "") << "systemd-analyze verify complained";
  auto props = in_root("grep -E '^(Type|KillMode|Delegate|Restart|RestartPreventExitStatus|EnvironmentFile|ExecStartPre|"
                       "ExecStopPost|ExecStart)=' \"$TROOT/lib/systemd/system/ecsd.service\"");
  // The unit's contract (docs/packaging.md). Read from the installed file.
  EXPECT_NE(props.out.find("Type=notify\n"), std::string::npos) << props.out;
  EXPECT_NE(props.out.find("KillMode=process\n"), std::string::npos);
  EXPECT_NE(props.out.find("Delegate=yes\n"), std::string::npos);
  EXPECT_NE(props.out.find("Restart=on-failure\n"), std::string::npos);
  EXPECT_NE(props.out.find("RestartPreventExitStatus=5\n"), std::string::npos);
  EXPECT_NE(props.out.find("EnvironmentFile=-/etc/ecs/ecs.config\n"), std::string::npos);
  EXPECT_NE(props.out.find("ExecStartPre=/usr/bin/ecsd prepare-host\n"), std::string::npos);
  EXPECT_NE(props.out.find("ExecStopPost=/usr/bin/ecsd cleanup-host\n"), std::string::npos);
  // Every command the unit runs exists in the installed binary.
  for (const char* c : {"agent", "prepare-host", "cleanup-host"}) {
    auto h = in_root(std::string("chroot \"$TROOT\" /usr/bin/ecsd ") + c + " --help");
    EXPECT_EQ(h.rc, 0) << c << ": " << h.out;
  }
  // No mount-namespace sandboxing: it would hide the agent's mounts from the host
  // and from the next agent (docs/packaging.md, "Hardening").
  EXPECT_EQ(in_root("grep -E '^(ProtectSystem|PrivateTmp|ProtectHome|PrivateDevices|NoNewPrivileges|SystemCallFilter)=' "
                    "\"$TROOT/lib/systemd/system/ecsd.service\"").rc,
            1);
}

TEST_F(Packaging, DebInstallEnablesWithoutStartingAndUpgradeKeepsConfig) {
  auto i = in_root("dpkg --root=\"$TROOT\" -i " + q(deb(1)) + " </dev/null");
  ASSERT_EQ(i.rc, 0) << i.out;
  EXPECT_EQ(i.out.find("warning"), std::string::npos) << i.out;
  // Files in place, the shim only in /usr/libexec/ecsd.
  for (const char* f : {"/usr/bin/ecsd", "/usr/bin/ecsd-runtime", "/usr/libexec/ecsd/ecsd-shim",
                        "/lib/systemd/system/ecsd.service", "/etc/ecs/ecs.config", "/usr/share/doc/ecsd/copyright"})
    EXPECT_TRUE(r_exists(f)) << f;
  EXPECT_FALSE(r_exists("/usr/bin/ecsd-shim"));
  EXPECT_TRUE(r_dir("/var/lib/ecs/data"));
  EXPECT_EQ(in_root("stat -c %a \"$TROOT/var/lib/ecs/data\"").out, "700\n");
  EXPECT_TRUE(r_dir("/var/log/ecs"));
  // The installed binaries run, report the package's version, and find the shim.
  auto v = in_root("chroot \"$TROOT\" /usr/bin/ecsd --version");
  EXPECT_NE(v.out.find("ecsd " + version() + " (commit "), std::string::npos) << v.out;
  auto d = in_root("chroot \"$TROOT\" /usr/bin/ecsd doctor --offline | grep -E 'ecsd-(shim|init)'");
  EXPECT_NE(d.out.find("[ok  ] ecsd-shim        /usr/libexec/ecsd/ecsd-shim"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("[ok  ] ecsd-init        /usr/libexec/ecsd/ecsd-init"), std::string::npos) << d.out;
  // Enabled (the wants symlink), never started.
  EXPECT_TRUE(r_symlink("/etc/systemd/system/multi-user.target.wants/ecsd.service"));
  std::string c1 = calls();
  EXPECT_NE(c1.find("preset ecsd.service"), std::string::npos) << c1;
  EXPECT_EQ(c1.find(" start"), std::string::npos) << c1;
  EXPECT_EQ(c1.find("restart"), std::string::npos) << c1;

  // The operator configures the cluster; an upgrade keeps it, without a prompt.
  r_append("/etc/ecs/ecs.config", "ECS_CLUSTER=pkgtest-cluster");
  auto u = in_root("dpkg --root=\"$TROOT\" -i " + q(deb(2)) + " </dev/null");
  ASSERT_EQ(u.rc, 0) << u.out;
  auto st = in_root("dpkg --root=\"$TROOT\" -s ecsd | grep -E '^(Status|Version):'");
  EXPECT_NE(st.out.find("Version: " + version() + "-2"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("install ok installed"), std::string::npos) << st.out;
  EXPECT_NE(r_cat("/etc/ecs/ecs.config").find("ECS_CLUSTER=pkgtest-cluster\n"),
            std::string::npos);
  EXPECT_FALSE(r_exists("/etc/ecs/ecs.config.dpkg-new"));
  EXPECT_FALSE(r_exists("/etc/ecs/ecs.config.dpkg-dist"));
  // Upgrade restarts the agent only if running (try-restart), never stops it first.
  std::string c2 = calls().substr(c1.size());
  EXPECT_NE(c2.find("daemon-reload"), std::string::npos) << c2;
  EXPECT_NE(c2.find("try-restart ecsd.service"), std::string::npos) << c2;
  EXPECT_EQ(c2.find(" stop"), std::string::npos) << c2;
  EXPECT_EQ(c2.find(" start"), std::string::npos) << c2;
  EXPECT_TRUE(r_symlink("/etc/systemd/system/multi-user.target.wants/ecsd.service"));

  // Remove keeps the conffile; purge removes it. Both scripts run cleanly.
  auto rm = in_root("dpkg --root=\"$TROOT\" -r ecsd </dev/null");
  ASSERT_EQ(rm.rc, 0) << rm.out;
  EXPECT_FALSE(r_exists("/usr/bin/ecsd"));
  EXPECT_TRUE(r_exists("/etc/ecs/ecs.config"));
  EXPECT_NE(calls().find("stop ecsd.service"), std::string::npos);
  auto purge = in_root("dpkg --root=\"$TROOT\" -P ecsd </dev/null");
  ASSERT_EQ(purge.rc, 0) << purge.out;
  EXPECT_FALSE(r_exists("/etc/ecs/ecs.config"));
  EXPECT_FALSE(r_exists("/etc/systemd/system/multi-user.target.wants/ecsd.service"));
  // The host never saw any of it.
  EXPECT_FALSE(fs::exists("/usr/bin/ecsd") && sh("dpkg -s ecsd").rc == 0);
}

// The AMI / user-data flow (packaging/ami/user-data.yaml): cloud-init writes
// /etc/ecs/ecs.config before the package is installed; with --force-confold
// the install keeps it and succeeds without a prompt.
TEST_F(Packaging, DebInstallKeepsAPreseededConfig) {
  auto i = in_root("mkdir -p \"$TROOT/etc/ecs\" && echo ECS_CLUSTER=preseeded > \"$TROOT/etc/ecs/ecs.config\" && "
                   "dpkg --root=\"$TROOT\" --force-confold -i " + q(deb(1)) + " </dev/null");
  ASSERT_EQ(i.rc, 0) << i.out;
  EXPECT_EQ(r_cat("/etc/ecs/ecs.config"), "ECS_CLUSTER=preseeded\n");
  EXPECT_TRUE(r_symlink("/etc/systemd/system/multi-user.target.wants/ecsd.service"));
}

TEST_F(Packaging, RpmInstallAndUpgradeKeepConfig) {
  auto i = in_root("rpm --root \"$TROOT\" --initdb && rpm --root \"$TROOT\" -i --nodeps " + q(rpm(1)));
  ASSERT_EQ(i.rc, 0) << i.out;
  EXPECT_TRUE(r_exists("/usr/libexec/ecsd/ecsd-shim"));
  EXPECT_TRUE(r_exists("/usr/lib/systemd/system/ecsd.service"));
  std::string c1 = calls();
  EXPECT_NE(c1.find("enable ecsd.service"), std::string::npos) << c1;
  EXPECT_EQ(c1.find(" start"), std::string::npos) << c1;
  r_append("/etc/ecs/ecs.config", "ECS_CLUSTER=pkgtest-rpm");
  auto u = in_root("rpm --root \"$TROOT\" -U --nodeps " + q(rpm(2)));
  ASSERT_EQ(u.rc, 0) << u.out;
  EXPECT_NE(in_root("rpm --root \"$TROOT\" -q ecsd").out.find("ecsd-" + version() + "-2"), std::string::npos);
  EXPECT_NE(r_cat("/etc/ecs/ecs.config").find("ECS_CLUSTER=pkgtest-rpm\n"), std::string::npos);
  EXPECT_FALSE(r_exists("/etc/ecs/ecs.config.rpmnew"));
  std::string c2 = calls().substr(c1.size());
  EXPECT_NE(c2.find("try-restart ecsd.service"), std::string::npos) << c2;
  EXPECT_EQ(c2.find(" stop"), std::string::npos) << c2;
  auto e = in_root("rpm --root \"$TROOT\" -e ecsd");
  ASSERT_EQ(e.rc, 0) << e.out;
  EXPECT_FALSE(r_exists("/usr/bin/ecsd"));
  // A modified %config(noreplace) file is saved on erase.
  EXPECT_TRUE(r_exists("/etc/ecs/ecs.config.rpmsave"));
}

// The installed package runs a task end to end: `ecsd run` (which starts the
// daemon) from /usr/bin finds ecsd-shim and ecsd-init in /usr/libexec/ecsd,
// with an image from the local registry fixture.
TEST_F(Packaging, InstalledEcsdRunsATaskWithHelpersFromLibexec) {
  std::string fx = std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/registry";
  std::string reg_dir = state + "-registry";
  auto reg = sh(fx + "/start-registry --dir " + q(reg_dir));
  ASSERT_EQ(reg.rc, 0) << reg.out;
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } cleanup{[&] {
    // The task ids, so that their (empty) cgroups can go with the daemon.
    auto ids = in_root("chroot \"$TROOT\" /usr/bin/ecsd --data-dir /tmp/d ps -a --json 2>/dev/null");
    in_root("test -f \"$TROOT/tmp/d/ecsd.pid\" && kill $(cat \"$TROOT/tmp/d/ecsd.pid\"); sleep 0.5");
    for (size_t at = ids.out.find("\"id\": \""); at != std::string::npos; at = ids.out.find("\"id\": \"", at + 1)) {
      std::string id = ids.out.substr(at + 7, ids.out.find('"', at + 7) - at - 7);
      if (id.empty() || id.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
      sh("for c in /sys/fs/cgroup/*/ecsd/" + id + " /sys/fs/cgroup/ecsd/" + id +
         "; do [ -d \"$c\" ] && find \"$c\" -depth -type d -exec rmdir {} + 2>/dev/null; done; true");
    }
    sh(fx + "/stop-registry --dir " + q(reg_dir));
    fs::remove_all(reg_dir);
  }};
  std::string addr = reg.out.substr(reg.out.rfind("127.0.0.1"));
  addr = addr.substr(0, addr.find('\n'));
  auto push = sh("ECSD_BUSYBOX_LAYOUT=" + q(reg_dir + "/layout") + " " + fx + "/push-busybox " + addr);
  ASSERT_EQ(push.rc, 0) << push.out;
  std::string td = R"({"family":"pkg-e2e","networkMode":"none","containerDefinitions":[{"name":"app","image":")" + addr +
                   R"(/ecsd-test/busybox:latest","essential":true,"memory":32,"linuxParameters":{"initProcessEnabled":true},)"
                   R"("command":["sh","-c","echo hello-from-package; cat /proc/1/comm"]}]})";
  auto r = in_root("dpkg --root=\"$TROOT\" -i " + q(deb(1)) + " </dev/null >/dev/null 2>&1 && echo " + q(td) +
                   " > \"$TROOT/tmp/td.json\" && chroot \"$TROOT\" /usr/bin/ecsd --data-dir /tmp/d run --no-color "
                   "/tmp/td.json 2>/dev/null");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "app | hello-from-package\napp | ecsd-init\n");
}

// packaging/ami/user-data.yaml is valid cloud-config that writes the cluster
// into /etc/ecs/ecs.config and enables and starts the service without
// blocking cloud-final (the unit is ordered after it).
TEST(AmiRecipe, UserDataJoinsTheClusterAndStartsTheService) {
  std::string ud = std::string(ECSD_SOURCE_DIR) + "/packaging/ami/user-data.yaml";
  auto r = sh("/usr/bin/python3 -c " +
              q("import sys, yaml\n"
                "text = open(sys.argv[1]).read()\n"
                "assert text.startswith('#cloud-config\\n'), 'no #cloud-config header'\n"
                "d = yaml.safe_load(text)\n"
                "assert set(d) <= {'write_files', 'runcmd', 'packages'}, sorted(d)\n"
                "f = [w for w in d['write_files'] if w['path'] == '/etc/ecs/ecs.config'][0]\n"
                "assert 'ECS_CLUSTER=' in f['content'] and f.get('append') is True\n"
                "cmds = [c if isinstance(c, str) else ' '.join(c) for c in d['runcmd']]\n"
                "assert any('systemctl enable --now --no-block ecsd.service' in c for c in cmds), cmds\n"
                "assert any('--force-confold' in c for c in cmds), cmds\n"
                "print('ok')\n") +
              " " + q(ud));
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "ok\n");
  // The Packer template names the variables the docs tell operators to set.
  auto p = sh("grep -cE '^variable \"(region|os|package|instance_type)\"' " +
              q(std::string(ECSD_SOURCE_DIR) + "/packaging/ami/ecsd.pkr.hcl"));
  EXPECT_EQ(p.out, "4\n");
}

// KillMode=process: systemd sends SIGTERM to the agent's main pid only. A
// container the agent started (through the packaged ecsd-runtime, which must
// find the shim in /usr/libexec/ecsd) keeps running, with its shim, and a
// new process (the restarted agent's stand-in) can still reach and stop it.
TEST_F(Packaging, StoppingTheAgentLeavesContainersRunning) {
  const std::string id = "pkgtest-" + std::to_string(::getpid());
  auto i = in_root("dpkg --root=\"$TROOT\" -i " + q(deb(1)) + " </dev/null >/dev/null && mkdir -p \"$TROOT/tmp/b\" && "
                   "cp -a " + q(std::string(ECSD_FIXTURES_DIR) + "/busybox") + " \"$TROOT/tmp/b/rootfs\" && "
                   "chroot \"$TROOT\" /usr/bin/ecsd-runtime spec --bundle /tmp/b");
  ASSERT_EQ(i.rc, 0) << i.out;
  {
    // Point the default spec at the rootfs, run sleep, own cgroup path.
    auto py = sh("python3 -c " +
                 q("import json,sys; p=sys.argv[1]; c=json.load(open(p)); c[\"root\"]={\"path\":\"rootfs\",\"readonly\":True}; "
                   "c[\"process\"][\"args\"]=[\"sleep\",\"600\"]; c[\"process\"][\"terminal\"]=False; "
                   "c[\"linux\"][\"cgroupsPath\"]=\"/" + id + "\"; json.dump(c,open(p,\"w\"))") +
                 " " + q(root() + "/tmp/b/config.json"));
    ASSERT_EQ(py.rc, 0) << py.out;
  }
  const std::string rt = "chroot \"$TROOT\" /usr/bin/ecsd-runtime --root /run/ecsd-rt ";
  // The "agent": starts the container, then keeps running as the main pid.
  pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    ::setsid();
    std::string cmd = rt + "run -d --bundle /tmp/b " + id + " </dev/null >/dev/null && touch \"$TROOT/tmp/started\" && exec sleep 600";
    std::string tr = kTest + "/troot";
    ::execl(tr.c_str(), tr.c_str(), state.c_str(), "sh", "-c", cmd.c_str(), nullptr);
    ::_exit(127);
  }
  bool started = false;
  for (int k = 0; k < 300 && !started; ++k) {
    started = r_exists("/tmp/started");
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int st;
    if (!started && ::waitpid(agent, &st, WNOHANG) == agent) break;
  }
  // Whatever happens below, the container goes (before TearDown removes the root).
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } cleanup{[&] { in_root(rt + "kill " + id + " KILL; sleep 0.3; " + rt + "delete -f " + id); }};
  if (!started) {
    ::kill(agent, SIGKILL);
    ::waitpid(agent, nullptr, 0);
    FAIL() << "the agent stand-in did not start the container";
  }
  auto before = in_root(rt + "state " + id);
  ASSERT_NE(before.out.find("\"status\": \"running\""), std::string::npos) << before.out;

  // Stop the agent the way the unit does: SIGTERM to the main pid only.
  ASSERT_EQ(::kill(agent, SIGTERM), 0);
  int st = 0;
  ASSERT_EQ(::waitpid(agent, &st, 0), agent);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);

  auto after = in_root(rt + "state " + id);
  EXPECT_NE(after.out.find("\"status\": \"running\""), std::string::npos) << after.out;
  auto shim = sh("pgrep -f " + q("ecsd-shim monitor .*" + id));
  EXPECT_EQ(shim.rc, 0) << "the container's shim died with the agent";
  // The container process itself is untouched.
  auto pid_line = sh("echo " + q(after.out) + " | sed -n 's/.*\"pid\": \\([0-9]*\\).*/\\1/p'");
  std::string cpid = pid_line.out.substr(0, pid_line.out.find('\n'));
  ASSERT_FALSE(cpid.empty()) << after.out;
  EXPECT_EQ(sh("tr '\\0' ' ' < /proc/" + cpid + "/cmdline").out, "sleep 600 ");
  // A new process (the restarted agent's stand-in) reaches it through the
  // shim's state and stops it; the shim records the exit.
  auto k = in_root(rt + "kill " + id + " KILL");
  EXPECT_EQ(k.rc, 0) << k.out;
  bool stopped = false;
  for (int n = 0; n < 100 && !stopped; ++n) {
    stopped = in_root(rt + "state " + id).out.find("\"status\": \"stopped\"") != std::string::npos;
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(stopped);
}

}  // namespace
