// Setup + teardown cost of task networking (ecsd::netns::Network), the
// driver behind bench/net-setup/run. Runs in whatever network namespace it is
// started in (the run script gives it a private one).
//
//   ecsd-net-bench one   RUNS  WORKDIR   median of RUNS setup+teardown of one task
//   ecsd-net-bench batch TASKS WORKDIR   TASKS set up, then all torn down (total)
//   ecsd-net-bench par   TASKS WORKDIR   the same from 8 threads at once
//
// Each task: bridge mode, one tcp mapping (container 80 -> dynamic host port).
// Prints "name value_ms" lines.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "netns/network.h"

using namespace ecsd::netns;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

TaskNetworkRequest task(int i) {
  TaskNetworkRequest r;
  r.id = "bench-" + std::to_string(i);
  r.mode = Mode::bridge;
  r.port_mappings = {PortMapping{.container_port = 80}};
  return r;
}

[[noreturn]] void die(const std::string& what, const ecsd::Error& e) {
  std::fprintf(stderr, "ecsd-net-bench: %s: %s\n", what.c_str(), e.message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ecsd-net-bench one|batch|par COUNT WORKDIR\n");
    return 2;
  }
  std::string mode = argv[1];
  int count = std::atoi(argv[2]);
  std::string dir = argv[3];
  NetworkConfig cfg;
  cfg.bridge_name = "ecsbench0";
  cfg.subnet = "10.213.0.0/16";
  cfg.state_dir = dir + "/state";
  cfg.run_dir = dir + "/run";
  cfg.nft_table = "ecsd_bench";
  cfg.veth_prefix = "vb";
  // Resolver files from fixed text so the host's setup does not matter.
  auto net = Network::open(cfg);
  if (!net) die("open", net.error());
  auto& n = **net;

  if (mode == "one") {
    // A warm-up round (first netlink/nft use), then RUNS measured ones.
    std::vector<double> times;
    for (int i = 0; i <= count; ++i) {
      auto t0 = Clock::now();
      auto r = n.setup(task(0));
      if (!r) die("setup", r.error());
      if (auto st = n.teardown("bench-0"); !st) die("teardown", st.error());
      if (i > 0) times.push_back(ms_since(t0));
    }
    std::printf("ecsd_one_median_ms %.3f\n", median(times));
  } else if (mode == "batch") {
    auto t0 = Clock::now();
    for (int i = 0; i < count; ++i)
      if (auto r = n.setup(task(i)); !r) die("setup", r.error());
    double up = ms_since(t0);
    auto t1 = Clock::now();
    for (int i = 0; i < count; ++i)
      if (auto st = n.teardown("bench-" + std::to_string(i)); !st) die("teardown", st.error());
    double down = ms_since(t1);
    std::printf("ecsd_batch_setup_ms %.3f\necsd_batch_teardown_ms %.3f\necsd_batch_total_ms %.3f\n", up, down,
                up + down);
  } else if (mode == "par") {
    constexpr int kThreads = 8;
    auto run = [&](bool up) {
      std::vector<std::thread> th;
      for (int t = 0; t < kThreads; ++t)
        th.emplace_back([&, t] {
          for (int i = t; i < count; i += kThreads) {
            if (up) {
              if (auto r = n.setup(task(i)); !r) die("setup", r.error());
            } else if (auto st = n.teardown("bench-" + std::to_string(i)); !st) {
              die("teardown", st.error());
            }
          }
        });
      for (auto& x : th) x.join();
    };
    auto t0 = Clock::now();
    run(true);
    double up = ms_since(t0);
    auto t1 = Clock::now();
    run(false);
    double down = ms_since(t1);
    std::printf("ecsd_par_setup_ms %.3f\necsd_par_teardown_ms %.3f\necsd_par_total_ms %.3f\n", up, down,
                up + down);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  if (auto st = n.remove_all(); !st) die("remove_all", st.error());
  return 0;
}
