// Shared helpers of the runtime root suites: bundles built from the library's
// Docker-like default spec over the busybox fixture, ecsd-runtime / ecsd-shim
// invocations, state and cgroup inspection, and cleanup of everything a test
// created (containers, cgroups, temp dirs).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cgroups/cgroup.h"
#include "runtime/capabilities.h"
#include "runtime/defaults.h"
#include "runtime/spec.h"

namespace ecsd::runtime::testing {

namespace fs = std::filesystem;
using nlohmann::json;

struct Cmd {
  int code = -1;
  std::string out;
};

// Runs a shell command; stdout and stderr together unless the command
// redirects them itself.
inline Cmd sh(const std::string& cmd) {
  Cmd r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string trim_nl(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Polls pred every 20 ms for up to `seconds` (a bound for a hung system, not
// a timing assertion).
inline bool wait_until(const std::function<bool()>& pred, double seconds = 20) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

inline bool pid_alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// One line per "key value" the probe printed.
inline std::map<std::string, std::string> kv_lines(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream is(text);
  std::string l;
  while (std::getline(is, l)) {
    size_t sp = l.find_first_of(" \t");
    if (sp == std::string::npos) {
      m[l] = "";
      continue;
    }
    size_t v = l.find_first_not_of(" \t", sp);
    std::string val = v == std::string::npos ? "" : l.substr(v);
    while (!val.empty() && (val.back() == ' ' || val.back() == '\t')) val.pop_back();
    m[l.substr(0, sp)] = val;
  }
  return m;
}

inline std::string hex16(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

class RuntimeRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this suite needs root (namespaces, cgroups, mounts)";
    std::random_device rd;
    suffix_ = std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
    dir_ = fs::temp_directory_path() / ("ecsd-rt-" + suffix_);
    fs::create_directories(dir_);
    root_ = (dir_ / "state").string();
    rootfs_ = std::string(ECSD_FIXTURES_DIR) + "/busybox";
    ASSERT_TRUE(fs::exists(rootfs_ + "/bin/busybox")) << "missing fixture " << rootfs_;
    auto h = cgroups::Hierarchy::detect();
    ASSERT_TRUE(h.has_value()) << h.error().message;
    hierarchy_ = std::move(*h);
  }

  void TearDown() override {
    for (const auto& id : ids_) rt("delete -f " + id);
    for (const auto& cg : cgroups_) {
      auto c = cgroups::Cgroup::open(hierarchy_, cg);
      if (c) {
        (void)c->kill_all(SIGKILL);
        (void)c->remove();
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string bin(const std::string& name) const { return std::string(ECSD_BIN_DIR) + "/" + name; }

  // A new container id and cgroup path, remembered for cleanup.
  std::string new_id(const std::string& what) {
    std::string id = "rt-" + what + "-" + suffix_;
    ids_.push_back(id);
    return id;
  }
  std::string cgroup_for(const std::string& id) {
    std::string cg = "ecsd-rttest-" + id;
    cgroups_.push_back(cg);
    return cg;
  }

  // The library's Docker-like default spec, as JSON, over the read-only
  // busybox fixture (shared by concurrent tests: never written).
  json base_spec(const std::string& id, std::vector<std::string> args) {
    auto spec = docker_default_spec();
    EXPECT_TRUE(spec.has_value()) << spec.error().message;
    json c = spec_to_json(*spec);
    c["root"] = {{"path", rootfs_}, {"readonly", true}};
    c["process"]["args"] = std::move(args);
    c["hostname"] = "rt-host";
    c["linux"]["cgroupsPath"] = "/" + cgroup_for(id);
    return c;
  }

  std::string write_bundle(const std::string& id, const json& config) {
    fs::path b = dir_ / ("bundle-" + id);
    fs::create_directories(b);
    std::ofstream(b / "config.json") << config.dump(2);
    return b.string();
  }

  Cmd rt(const std::string& args) { return sh(bin("ecsd-runtime") + " --root " + root_ + " " + args + " </dev/null"); }

  // Foreground run: output of the container (and errors of the runtime).
  Cmd run_fg(const std::string& id, const json& config) {
    std::string b = write_bundle(id, config);
    return rt("run --bundle " + b + " " + id);
  }
  // Detached run (the shim stays as the container's parent).
  Cmd run_bg(const std::string& id, const json& config) {
    std::string b = write_bundle(id, config);
    return rt("run -d --bundle " + b + " " + id);
  }

  json state(const std::string& id) {
    Cmd c = rt("state " + id);
    if (c.code != 0) return json{{"error", c.out}};
    return json::parse(c.out, nullptr, false);
  }
  std::string status(const std::string& id) {
    json s = state(id);
    return s.contains("status") ? s["status"].get<std::string>() : "";
  }
  bool wait_stopped(const std::string& id, double seconds = 30) {
    // Stopped, and the shim has recorded how.
    return wait_until([&] { return status(id) == "stopped" && fs::exists(root_ + "/" + id + "/exit.json"); }, seconds);
  }
  json exit_record(const std::string& id) {
    std::string t = read_text(root_ + "/" + id + "/exit.json");
    return json::parse(t, nullptr, false);
  }

  // Directory of the container's cgroup for a controller ("" if absent).
  std::string cgroup_dir(const std::string& id, const std::string& controller) {
    const cgroups::Mount* m = hierarchy_.mount_for(controller);
    if (!m) return "";
    return m->dir + "/ecsd-rttest-" + id;
  }
  // True when no hierarchy holds the cgroup of `id`.
  bool cgroup_gone(const std::string& id) {
    for (const auto& m : hierarchy_.mounts())
      if (fs::exists(m.dir + "/ecsd-rttest-" + id)) return false;
    return true;
  }
  int mounts_mentioning(const std::string& needle) {
    std::string mi = read_text("/proc/self/mountinfo");
    int n = 0;
    for (size_t p = mi.find(needle); p != std::string::npos; p = mi.find(needle, p + 1)) ++n;
    return n;
  }

  std::string suffix_;
  fs::path dir_;
  std::string root_;
  std::string rootfs_;
  cgroups::Hierarchy hierarchy_ = cgroups::Hierarchy::from_mounts(cgroups::Layout::kV1, {});
  std::vector<std::string> ids_;
  std::vector<std::string> cgroups_;
};

}  // namespace ecsd::runtime::testing
