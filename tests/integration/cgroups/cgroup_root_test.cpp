// Root tests on the real kernel (this host: hybrid, v1 controllers). Every
// test creates its cgroups under a unique top-level name and a guard removes
// them (killing whatever is left inside) even when an assertion fails.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libcgroup.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

#include "cgroups/cgroup.h"
#include "common/file_util.h"

namespace ecsd::cgroups {
namespace {

std::string unique_name(const char* what) {
  static std::atomic<int> n{0};
  return std::string("ecsd-cgtest-") + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

bool dir_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string read_trim(const std::string& path) {
  auto t = read_file(path);
  return t ? std::string(trim(*t)) : "<" + t.error().str() + ">";
}

// Removes the top-level test cgroup (and everything below) on scope exit.
class Guard {
 public:
  Guard(const Hierarchy& h, std::string top) : h_(h), top_(std::move(top)) {}
  ~Guard() {
    auto cg = Cgroup::open(h_, top_);
    if (!cg) return;
    kill_below(*cg);
    auto st = cg->remove();
    if (!st) ADD_FAILURE() << "cleanup: " << st.error().str();
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

 private:
  void kill_below(Cgroup& cg) {
    // remove() fails while processes remain; kill every one in the subtree.
    for (const auto& d : cg.dirs()) {
      std::vector<std::string> stack{d};
      while (!stack.empty()) {
        std::string cur = stack.back();
        stack.pop_back();
        if (auto procs = read_file(cur + "/cgroup.procs")) {
          std::string_view t = *procs;
          while (!t.empty()) {
            size_t nl = t.find('\n');
            std::string line(t.substr(0, nl));
            t = nl == std::string_view::npos ? std::string_view{} : t.substr(nl + 1);
            if (!line.empty()) ::kill(std::stoi(line), SIGKILL);
          }
        }
        if (DIR* dd = ::opendir(cur.c_str())) {
          while (auto* e = ::readdir(dd)) {
            std::string n = e->d_name;
            if (e->d_type == DT_DIR && n != "." && n != "..") stack.push_back(cur + "/" + n);
          }
          ::closedir(dd);
        }
      }
    }
    for (int i = 0; i < 200; ++i) {
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      ::usleep(5000);
      bool empty = true;
      for (const auto& d : cg.dirs()) {
        auto p = read_file(d + "/cgroup.procs");
        if (p && !trim(*p).empty()) empty = false;
      }
      if (empty) break;
    }
  }
  Hierarchy h_;
  std::string top_;
};

// A forked child that waits for a byte on a pipe, then runs `body` and exits
// with its return value. Killed and reaped on scope exit.
class Child {
 public:
  template <typename F>
  explicit Child(F body) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::close(p[1]);
      char c;
      if (::read(p[0], &c, 1) != 1) ::_exit(100);
      ::_exit(body());
    }
    ::close(p[0]);
    go_ = p[1];
  }
  ~Child() {
    if (go_ >= 0) ::close(go_);
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void go() {
    char c = 'g';
    ASSERT_EQ(::write(go_, &c, 1), 1);
  }
  int wait() {
    int status = 0;
    EXPECT_EQ(::waitpid(pid_, &status, 0), pid_);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  bool reaped_ = false;
};

class CgroupRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the cgroups root suite must run as root";
    auto d = Hierarchy::detect();
    ASSERT_TRUE(d) << d.error().str();
    h = *d;
    ASSERT_NE(h.layout(), Layout::kV2) << "this suite is written for the v1/hybrid host (see docs/cgroups.md)";
    // Orphans of our children come back to us so that the guards can reap them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  Hierarchy h = Hierarchy::from_mounts(Layout::kV1, {});
};

TEST_F(CgroupRoot, DetectsThisHost) {
  EXPECT_EQ(h.layout(), Layout::kHybrid);
  ASSERT_NE(h.mount_for("cpu"), nullptr);
  ASSERT_NE(h.mount_for("cpuacct"), nullptr);
  for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "pids", "devices"})
    EXPECT_EQ(h.mount_for(c)->dir, std::string("/sys/fs/cgroup/") + c);
}

// libcgroup as an independent reader of what we wrote.
struct LibcgroupReader {
  explicit LibcgroupReader(const std::string& name) {
    int rc = cgroup_init();
    if (rc != 0) {
      ADD_FAILURE() << "cgroup_init: " << cgroup_strerror(rc);
      return;
    }
    cg = cgroup_new_cgroup(name.c_str());
    rc = cgroup_get_cgroup(cg);
    if (rc != 0) ADD_FAILURE() << "cgroup_get_cgroup " << name << ": " << cgroup_strerror(rc);
  }
  ~LibcgroupReader() {
    if (cg) cgroup_free(&cg);
  }
  int64_t i64(const char* controller, const char* file) {
    auto* c = cgroup_get_controller(cg, controller);
    if (!c) {
      ADD_FAILURE() << "libcgroup has no controller " << controller;
      return -12345;
    }
    int64_t v = -12345;
    int rc = cgroup_get_value_int64(c, file, &v);
    if (rc != 0) ADD_FAILURE() << "libcgroup " << file << ": " << cgroup_strerror(rc);
    return v;
  }
  std::string str(const char* controller, const char* file) {
    auto* c = cgroup_get_controller(cg, controller);
    if (!c) return "<no controller " + std::string(controller) + ">";
    char* v = nullptr;
    int rc = cgroup_get_value_string(c, file, &v);
    if (rc != 0) return std::string("<") + cgroup_strerror(rc) + ">";
    std::string out(trim(v ? v : ""));
    free(v);
    return out;
  }
  struct cgroup* cg = nullptr;
};

TEST_F(CgroupRoot, NestedCreateApplyAndReadBack) {
  const std::string top = unique_name("nested");
  Guard guard(h, top);
  auto task = Cgroup::create(h, top + "/task");
  ASSERT_TRUE(task) << task.error().str();
  auto web = Cgroup::create(h, top + "/task/web");
  ASSERT_TRUE(web) << web.error().str();
  ASSERT_EQ(web->dirs().size(), 6u);
  for (const auto& d : web->dirs()) EXPECT_TRUE(dir_exists(d)) << d;
  // v1 cpuset: inherited so that a task can join.
  EXPECT_EQ(read_trim(web->dir_for("cpuset") + "/cpuset.cpus"), read_trim("/sys/fs/cgroup/cpuset/cpuset.cpus"));
  EXPECT_EQ(read_trim(web->dir_for("cpuset") + "/cpuset.mems"), read_trim("/sys/fs/cgroup/cpuset/cpuset.mems"));

  Resources r;
  r.cpu_shares = 512;
  r.cpu_quota_us = 50000;
  r.cpu_period_us = 100000;
  r.cpuset_cpus = "0";
  r.cpuset_mems = "0";
  r.memory_limit = 64 << 20;
  r.memory_reservation = 32 << 20;
  r.memory_swap = 128 << 20;
  r.memory_swappiness = 10;
  r.pids_limit = 50;
  auto st = web->apply(r);
  ASSERT_TRUE(st) << st.error().str();

  const std::string cpu = web->dir_for("cpu"), mem = web->dir_for("memory");
  EXPECT_EQ(read_trim(cpu + "/cpu.shares"), "512");
  EXPECT_EQ(read_trim(cpu + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(read_trim(cpu + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(read_trim(web->dir_for("cpuset") + "/cpuset.cpus"), "0");
  EXPECT_EQ(read_trim(web->dir_for("cpuset") + "/cpuset.mems"), "0");
  EXPECT_EQ(read_trim(mem + "/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(read_trim(mem + "/memory.soft_limit_in_bytes"), "33554432");
  EXPECT_EQ(read_trim(mem + "/memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(read_trim(mem + "/memory.swappiness"), "10");
  EXPECT_EQ(read_trim(web->dir_for("pids") + "/pids.max"), "50");

  LibcgroupReader lib(top + "/task/web");
  EXPECT_EQ(lib.i64("cpu", "cpu.shares"), 512);
  EXPECT_EQ(lib.i64("cpu", "cpu.cfs_quota_us"), 50000);
  EXPECT_EQ(lib.i64("cpu", "cpu.cfs_period_us"), 100000);
  EXPECT_EQ(lib.str("cpuset", "cpuset.cpus"), "0");
  EXPECT_EQ(lib.i64("memory", "memory.limit_in_bytes"), 64 << 20);
  EXPECT_EQ(lib.i64("memory", "memory.soft_limit_in_bytes"), 32 << 20);
  EXPECT_EQ(lib.i64("memory", "memory.memsw.limit_in_bytes"), 128 << 20);
  EXPECT_EQ(lib.i64("memory", "memory.swappiness"), 10);
  EXPECT_EQ(lib.str("pids", "pids.max"), "50");

  // Lowering both (limit first) and raising both (memsw first) work.
  Resources down;
  down.memory_limit = 32 << 20;
  down.memory_swap = 48 << 20;
  ASSERT_TRUE(web->apply(down)) << web->apply(down).error().str();
  EXPECT_EQ(read_trim(mem + "/memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(read_trim(mem + "/memory.memsw.limit_in_bytes"), "50331648");
  Resources up;
  up.memory_limit = 256 << 20;
  up.memory_swap = 512 << 20;
  up.cpu_quota_us = -1;
  up.pids_limit = -1;
  auto st2 = web->apply(up);
  ASSERT_TRUE(st2) << st2.error().str();
  EXPECT_EQ(read_trim(mem + "/memory.limit_in_bytes"), "268435456");
  EXPECT_EQ(read_trim(mem + "/memory.memsw.limit_in_bytes"), "536870912");
  EXPECT_EQ(read_trim(cpu + "/cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(read_trim(web->dir_for("pids") + "/pids.max"), "max");

  // Removing the task removes the container below it first.
  ASSERT_TRUE(task->remove());
  for (const auto& d : web->dirs()) EXPECT_FALSE(dir_exists(d)) << d;
  for (const auto& d : task->dirs()) EXPECT_FALSE(dir_exists(d)) << d;
  EXPECT_TRUE(task->remove());  // missing is fine
}

TEST_F(CgroupRoot, ProcessShowsUpInProcessesAndStats) {
  const std::string top = unique_name("procs");
  Guard guard(h, top);
  auto cg = Cgroup::create(h, top + "/c");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([] {
    // Touch 8 MiB and burn some CPU, then wait to be killed.
    char* p = static_cast<char*>(::mmap(nullptr, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return 2;
    for (size_t i = 0; i < (8u << 20); i += 4096) p[i] = 1;
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 50000000; ++i) x = x + i;
    ::pause();
    return 0;
  });
  ASSERT_TRUE(cg->add_process(child.pid())) << cg->add_process(child.pid()).error().str();
  auto procs = cg->processes();
  ASSERT_TRUE(procs) << procs.error().str();
  EXPECT_EQ(*procs, std::vector<pid_t>{child.pid()});
  // The kernel agrees: /proc/<pid>/cgroup names our cgroup in every hierarchy.
  std::string self = read_trim("/proc/" + std::to_string(child.pid()) + "/cgroup");
  for (const char* c : {":memory:/", ":cpu:/", ":cpuacct:/", ":cpuset:/", ":pids:/", ":devices:/"})
    EXPECT_NE(self.find(std::string(c) + top + "/c\n"), std::string::npos) << c << " in\n" << self;
  // And libcgroup lists the same process.
  ASSERT_EQ(cgroup_init(), 0);
  pid_t* pids = nullptr;
  int n = 0;
  std::string name = top + "/c";
  ASSERT_EQ(cgroup_get_procs(name.data(), const_cast<char*>("memory"), &pids, &n), 0);
  ASSERT_EQ(n, 1);
  EXPECT_EQ(pids[0], child.pid());
  free(pids);

  child.go();
  // Wait until the child has touched its memory and used CPU.
  Stats s;
  for (int i = 0; i < 1000; ++i) {
    auto r = cg->stats();
    ASSERT_TRUE(r) << r.error().str();
    s = *r;
    if (s.memory_usage >= (8u << 20) && s.cpu_usage_ns > 10000000) break;
    ::usleep(10000);
  }
  EXPECT_GE(s.memory_usage, 8u << 20);
  EXPECT_GE(s.memory_max_usage, s.memory_usage);
  EXPECT_GT(s.cpu_usage_ns, 10000000u);
  EXPECT_LE(s.cpu_user_ns + s.cpu_system_ns, s.cpu_usage_ns + 100000000u);  // tick-rounded
  EXPECT_EQ(s.memory_limit, UINT64_MAX);
  EXPECT_EQ(s.pids_current, 1u);
  EXPECT_EQ(s.pids_limit, UINT64_MAX);
  EXPECT_EQ(s.oom_kills, 0u);

  ASSERT_TRUE(cg->kill_all(SIGKILL));
  int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(cg->processes()->empty());
}

TEST_F(CgroupRoot, OomKillIsReported) {
  const std::string top = unique_name("oom");
  Guard guard(h, top);
  auto cg = Cgroup::create(h, top + "/c");
  ASSERT_TRUE(cg) << cg.error().str();
  Resources r;
  r.memory_limit = 16 << 20;
  r.memory_swap = 16 << 20;
  ASSERT_TRUE(cg->apply(r)) << cg->apply(r).error().str();
  auto w = OomWatcher::watch(*cg);
  ASSERT_TRUE(w) << w.error().str();
  EXPECT_EQ(w->consume().value(), 0u);

  Child child([] {
    const size_t size = 64u << 20;
    char* p = static_cast<char*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return 2;
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    return 0;  // not reached when the limit holds
  });
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.go();
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  struct pollfd pfd{w->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "no OOM notification";
  auto n = w->consume();
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(w->consume().value(), 0u);
  auto s = cg->stats();
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->oom_kills, 1u);
  EXPECT_EQ(s->memory_limit, 16u << 20);
  EXPECT_GE(s->memory_max_usage, 15u << 20);
}

TEST_F(CgroupRoot, ForkStopsAtPidsLimit) {
  const std::string top = unique_name("pids");
  Guard guard(h, top);
  auto cg = Cgroup::create(h, top + "/c");
  ASSERT_TRUE(cg) << cg.error().str();
  Resources r;
  r.pids_limit = 10;
  ASSERT_TRUE(cg->apply(r));
  Child child([] {
    // Fork sleepers until fork fails; exit code = forks that worked, +100
    // when the failure was EAGAIN.
    int ok = 0;
    for (int i = 0; i < 50; ++i) {
      pid_t p = ::fork();
      if (p == 0) {
        ::pause();
        ::_exit(0);
      }
      if (p < 0) return ok + (errno == EAGAIN ? 100 : 0);
      ++ok;
    }
    return ok;
  });
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.go();
  // The child itself counts: 9 more fit under a limit of 10.
  int status = child.wait();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 109);

  // The orphaned sleepers are still in the cgroup; kill_all empties it.
  auto procs = cg->processes();
  ASSERT_TRUE(procs);
  EXPECT_EQ(procs->size(), 9u);
  EXPECT_EQ(cg->stats()->pids_current, 9u);
  ASSERT_TRUE(cg->kill_all(SIGKILL));
  EXPECT_TRUE(cg->processes()->empty());
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  auto dirs = cg->dirs();
  ASSERT_TRUE(cg->remove()) << cg->remove().error().str();
  for (const auto& d : dirs) EXPECT_FALSE(dir_exists(d)) << d;
}

TEST_F(CgroupRoot, KillAllCatchesEveryProcess) {
  const std::string top = unique_name("kill");
  Guard guard(h, top);
  auto cg = Cgroup::create(h, top + "/c");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([] {
    for (int i = 0; i < 5; ++i)
      if (::fork() == 0) {
        // Grandchildren keep forking; kill_all must win anyway.
        for (;;) {
          pid_t p = ::fork();
          if (p > 0) ::waitpid(p, nullptr, 0);
          if (p == 0) ::_exit(0);
        }
      }
    ::pause();
    return 0;
  });
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.go();
  for (int i = 0; i < 500 && cg->processes()->size() < 6; ++i) ::usleep(2000);
  EXPECT_GE(cg->processes()->size(), 6u);
  // A non-fatal signal is delivered once to everyone.
  ASSERT_TRUE(cg->kill_all(SIGCONT));
  ASSERT_TRUE(cg->kill_all(SIGKILL)) << cg->kill_all(SIGKILL).error().str();
  EXPECT_TRUE(cg->processes()->empty());
  int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  auto dirs = cg->dirs();
  ASSERT_TRUE(cg->remove());
  for (const auto& d : dirs) EXPECT_FALSE(dir_exists(d)) << d;
}

TEST_F(CgroupRoot, ImpossibleLimitErrorsAndChangesNothing) {
  const std::string top = unique_name("impossible");
  Guard guard(h, top);
  auto cg = Cgroup::create(h, top + "/c");
  ASSERT_TRUE(cg) << cg.error().str();
  const std::string mem = cg->dir_for("memory");
  Resources first;
  first.cpu_shares = 256;
  first.pids_limit = 30;
  ASSERT_TRUE(cg->apply(first));
  const std::string limit_before = read_trim(mem + "/memory.limit_in_bytes");

  // A negative number other than -1: refused before anything is written.
  Resources neg;
  neg.cpu_shares = 4096;
  neg.memory_limit = -2;
  auto st = cg->apply(neg);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().str().find("memory limit -2 is invalid"), std::string::npos) << st.error().str();
  EXPECT_EQ(read_trim(cg->dir_for("cpu") + "/cpu.shares"), "256");

  // Below what a process already holds (anonymous memory, no swap device):
  // the kernel refuses with EBUSY; the error names the file, value and usage,
  // and the writes made before it are undone.
  Child child([] {
    const size_t size = 32u << 20;
    char* p = static_cast<char*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return 2;
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    ::mlock(p, size);
    ::pause();
    return 0;
  });
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.go();
  for (int i = 0; i < 500 && cg->stats()->memory_usage < (32u << 20); ++i) ::usleep(10000);
  ASSERT_GE(cg->stats()->memory_usage, 32u << 20);
  Resources tiny;
  tiny.pids_limit = 5;
  tiny.memory_limit = 4 << 20;
  st = cg->apply(tiny);
  ASSERT_FALSE(st);
  const std::string msg = st.error().str();
  EXPECT_NE(msg.find("write '4194304' to " + mem + "/memory.limit_in_bytes: Device or resource busy"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("could not be reclaimed"), std::string::npos) << msg;
  EXPECT_EQ(st.error().code, EBUSY);
  EXPECT_EQ(read_trim(mem + "/memory.limit_in_bytes"), limit_before);
  EXPECT_EQ(read_trim(cg->dir_for("pids") + "/pids.max"), "30");  // rolled back
  EXPECT_EQ(::kill(child.pid(), 0), 0);                           // not OOM-killed

  ASSERT_TRUE(cg->kill_all(SIGKILL));
  child.wait();
  auto dirs = cg->dirs();
  ASSERT_TRUE(Cgroup::open(h, top)->remove());
  for (const auto& d : dirs) EXPECT_FALSE(dir_exists(d)) << d;
  EXPECT_FALSE(dir_exists("/sys/fs/cgroup/memory/" + top));
}

// The v2 code path on the real kernel: this host's cgroup2 mount has no
// cpu/memory/pids controllers (they are bound to v1), so only the structure is
// covered here: nested create, subtree_control, cgroup.procs, cpu.stat (always
// present on v2), cgroup.kill and remove. Limits on v2 are covered by the
// fake-tree unit tests only (see docs/cgroups.md).
TEST_F(CgroupRoot, UnifiedHierarchyStructure) {
  const Mount* u = h.unified();
  ASSERT_NE(u, nullptr);
  Hierarchy v2 = Hierarchy::from_mounts(Layout::kV2, {*u});
  const std::string top = unique_name("v2");
  Guard guard(v2, top);
  auto cg = Cgroup::create(v2, top + "/task/web");
  ASSERT_TRUE(cg) << cg.error().str();
  EXPECT_EQ(cg->dirs(), std::vector<std::string>{u->dir + "/" + top + "/task/web"});
  EXPECT_TRUE(dir_exists(u->dir + "/" + top + "/task/web"));
  Child child([] {
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 50000000; ++i) x = x + i;
    if (::fork() == 0) ::pause();
    ::pause();
    return 0;
  });
  ASSERT_TRUE(cg->add_process(child.pid())) << cg->add_process(child.pid()).error().str();
  EXPECT_NE(read_trim("/proc/" + std::to_string(child.pid()) + "/cgroup").find("0::/" + top + "/task/web"),
            std::string::npos);
  child.go();
  for (int i = 0; i < 500 && cg->processes()->size() < 2; ++i) ::usleep(5000);
  EXPECT_EQ(cg->processes()->size(), 2u);
  Stats s;
  for (int i = 0; i < 500; ++i) {
    s = cg->stats().value();
    if (s.cpu_usage_ns > 10000000) break;
    ::usleep(10000);
  }
  EXPECT_GT(s.cpu_usage_ns, 10000000u);
  ASSERT_EQ(::access((cg->dirs()[0] + "/cgroup.kill").c_str(), F_OK), 0);
  ASSERT_TRUE(cg->kill_all(SIGKILL));  // through cgroup.kill
  int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(cg->processes()->empty());  // kill_all waits until the cgroup is empty
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ASSERT_TRUE(Cgroup::open(v2, top)->remove());
  EXPECT_FALSE(dir_exists(u->dir + "/" + top));
}

TEST_F(CgroupRoot, CreateRejectsBadPathsAndOpenMissing) {
  for (const char* bad : {"", "/abs", "a/../..", "..", "a//b"}) {
    auto cg = Cgroup::create(h, bad);
    EXPECT_FALSE(cg) << bad;
  }
  EXPECT_FALSE(dir_exists("/sys/fs/cgroup/memory/a"));
  auto cg = Cgroup::open(h, unique_name("missing"));
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().code, ENOENT);
}

}  // namespace
}  // namespace ecsd::cgroups
