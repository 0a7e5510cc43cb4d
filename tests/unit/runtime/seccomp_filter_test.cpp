// compile_seccomp errors and programs; load_seccomp in forked children
// (no_new_privs makes this work without root).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/seccomp_filter.h"
#include "runtime/seccomp_profile.h"

namespace ecsd::runtime {
namespace {

template <typename F>
int in_child(F fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Seccomp allow_all_but(std::vector<SeccompSyscall> calls) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls = std::move(calls);
  return s;
}

TEST(SeccompFilter, CompilesDockerDefault) {
  auto prof = docker_default_seccomp(*caps_to_mask(docker_default_capabilities()));
  ASSERT_TRUE(prof) << prof.error().str();
  auto c = compile_seccomp(*prof);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_FALSE(c->empty());
  EXPECT_GT(c->program.size(), 100u);
  EXPECT_EQ(c->flags, 0u);
}

TEST(SeccompFilter, FlagsAndUnknownSyscalls) {
  auto s = allow_all_but({{{"no_such_syscall_xyz", "uname"}, "SCMP_ACT_ERRNO", std::nullopt, {}}});
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  auto c = compile_seccomp(s);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->flags, 2u | 4u);
}

TEST(SeccompFilter, ErrorsNameTheField) {
  struct {
    std::function<void(Seccomp&)> mutate;
    const char* expect;
  } cases[] = {
      {[](Seccomp& s) { s.default_action = "SCMP_ACT_FOO"; }, "linux.seccomp.defaultAction: unknown action"},
      {[](Seccomp& s) { s.syscalls[0].action = "SCMP_ACT_NOTIFY"; },
       "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported"},
      {[](Seccomp& s) { s.syscalls[0].action = "KILL"; }, "linux.seccomp.syscalls[0].action: unknown action \"KILL\""},
      {[](Seccomp& s) { s.syscalls[0].args = {{0, 1, 0, "SCMP_CMP_NEAR"}}; },
       "linux.seccomp.syscalls[0].args[0].op: unknown operator"},
      {[](Seccomp& s) { s.syscalls[0].args = {{7, 1, 0, "SCMP_CMP_EQ"}}; }, "linux.seccomp.syscalls[0].args[0].index"},
      {[](Seccomp& s) { s.architectures = {"SCMP_ARCH_Z80"}; }, "linux.seccomp.architectures[0]: unknown architecture"},
      {[](Seccomp& s) { s.architectures = {"SCMP_ARCH_M68K"}; }, "not supported by this libseccomp"},
      {[](Seccomp& s) { s.flags = {"SECCOMP_FILTER_FLAG_NEW_LISTENER"}; }, "linux.seccomp.flags[0]: not supported"},
      {[](Seccomp& s) { s.flags = {"LOG"}; }, "linux.seccomp.flags[0]: unknown flag"},
  };
  for (const auto& c : cases) {
    auto s = allow_all_but({{{"uname"}, "SCMP_ACT_ERRNO", std::nullopt, {}}});
    c.mutate(s);
    auto r = compile_seccomp(s);
    ASSERT_FALSE(r) << c.expect;
    EXPECT_NE(r.error().str().find(c.expect), std::string::npos) << r.error().str() << " / want " << c.expect;
  }
}

TEST(SeccompFilter, EmptyProgramLoadsNothing) {
  CompiledSeccomp none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(load_seccomp(none));
}

TEST(SeccompFilter, LoadedFilterReturnsErrnoInChild) {
  // uname -> ENOMSG (unusual, so it cannot come from anywhere else);
  // dup(1000) -> EXDEV via an argument condition, dup(0) still works;
  // KILL_PROCESS on getppid, checked in a grandchild.
  auto s = allow_all_but({{{"uname"}, "SCMP_ACT_ERRNO", ENOMSG, {}},
                          {{"dup"}, "SCMP_ACT_ERRNO", EXDEV, {{0, 1000, 0, "SCMP_CMP_EQ"}}},
                          {{"getppid"}, "SCMP_ACT_KILL_PROCESS", std::nullopt, {}}});
  auto c = compile_seccomp(s);
  ASSERT_TRUE(c) << c.error().str();
  int rc = in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    struct utsname u;
    if (uname(&u) != 0) return 11;  // works before the filter
    if (!load_seccomp(*c)) return 12;
    if (uname(&u) != -1 || errno != ENOMSG) return 13;
    if (syscall(SYS_dup, 1000) != -1 || errno != EXDEV) return 14;
    int fd = dup(0);
    if (fd < 0) return 15;
    close(fd);
    if (getpid() <= 0) return 16;
    pid_t g = fork();
    if (g == 0) {
      syscall(SYS_getppid);
      _exit(0);
    }
    int st = 0;
    waitpid(g, &st, 0);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS) return 17;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(SeccompFilter, DockerDefaultBlocksNamespacesAndMount) {
  auto prof = docker_default_seccomp(*caps_to_mask(docker_default_capabilities()));
  ASSERT_TRUE(prof) << prof.error().str();
  auto c = compile_seccomp(*prof);
  ASSERT_TRUE(c) << c.error().str();
  int rc = in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    if (!load_seccomp(*c)) return 11;
    if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM) return 12;
    if (mount("none", "/nonexistent-ecsd", "tmpfs", 0, nullptr) != -1 || errno != EPERM) return 13;
    if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) return 14;  // errnoRet 38
    if (syscall(SYS_reboot, 0, 0, 0, nullptr) != -1 || errno != EPERM) return 15;
    // Normal work goes on: files, fork, wait.
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 16;
    char buf[64];
    if (read(fd, buf, sizeof buf) <= 0) return 17;
    close(fd);
    pid_t g = fork();
    if (g < 0) return 18;
    if (g == 0) _exit(7);
    int st = 0;
    if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 7) return 19;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(SeccompFilter, DockerDefaultWithSysAdminAllowsUnshare) {
  auto prof = docker_default_seccomp(*caps_to_mask(docker_default_capabilities()) | (1ull << CAP_SYS_ADMIN));
  ASSERT_TRUE(prof);
  auto c = compile_seccomp(*prof);
  ASSERT_TRUE(c) << c.error().str();
  int rc = in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    if (!load_seccomp(*c)) return 11;
    // Not blocked by the filter: either it works, or the kernel says why (never EPERM from us).
    if (unshare(CLONE_NEWUSER) != 0) return 12;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace ecsd::runtime
