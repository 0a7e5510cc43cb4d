#include "netns/host_forward.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_util.h"
#include "netns/nft.h"

extern char** environ;

namespace ecsd::netns {

namespace {

// Runs argv (PATH lookup) with stdin/stdout/stderr on /dev/null; returns the
// exit status, or -errno when it could not be started.
int run_tool(const std::vector<std::string>& argv, std::string* out = nullptr) {
  int p[2] = {-1, -1};
  if (out && ::pipe2(p, O_CLOEXEC) != 0) return -errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out) posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (out) ::close(p[1]);
  if (rc != 0) {
    if (out) ::close(p[0]);
    return -rc;
  }
  if (out) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(p[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out->append(buf, static_cast<size_t>(n));
    }
    ::close(p[0]);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::vector<std::string> rule(const std::string& tool, const char* op, const char* dir, const std::string& bridge) {
  return {tool, "-w", "5", op, "FORWARD", dir, bridge, "-m", "comment", "--comment", "ecsd:" + bridge, "-j", "ACCEPT"};
}

bool legacy_filter_table_exists() {
  auto names = read_file("/proc/net/ip_tables_names");
  if (!names) return false;
  for (std::string_view s = *names; !s.empty();) {
    auto nl = s.find('\n');
    if (trim(s.substr(0, nl)) == "filter") return true;
    if (nl == std::string_view::npos) break;
    s = s.substr(nl + 1);
  }
  return false;
}

bool legacy_forward_policy_drop() {
  if (!legacy_filter_table_exists()) return false;
  std::string out;
  if (run_tool({"iptables-legacy", "-w", "5", "-S", "FORWARD"}, &out) != 0) return false;
  return out.find("-P FORWARD DROP") != std::string::npos;
}

Status insert_rules(const std::string& tool, const std::string& bridge) {
  for (const char* dir : {"-o", "-i"}) {
    if (run_tool(rule(tool, "-C", dir, bridge)) == 0) continue;  // already there
    int rc = run_tool(rule(tool, "-I", dir, bridge));
    if (rc < 0) return fail_sys(-rc, "run " + tool + " (to accept bridge " + bridge + " in the FORWARD chain)");
    if (rc != 0)
      return fail_invalid(tool + " -I FORWARD " + dir + " " + bridge + " -j ACCEPT failed (exit " +
                          std::to_string(rc) + ")");
  }
  return {};
}

}  // namespace

bool nft_forward_policy_drop(Nft& nft) {
  auto out = nft.query("list chain ip filter FORWARD");
  if (!out) return false;  // no iptables-nft filter table / FORWARD chain
  return out->find("policy drop") != std::string::npos;
}

Result<HostForwardResult> ensure_host_forward_accept(Nft& nft, const std::string& bridge) {
  HostForwardResult res;
  if (nft_forward_policy_drop(nft)) {
    ECSD_TRY(insert_rules("iptables-nft", bridge));
    res.backends.push_back("iptables-nft");
  }
  if (legacy_forward_policy_drop()) {
    ECSD_TRY(insert_rules("iptables-legacy", bridge));
    res.backends.push_back("iptables-legacy");
  }
  return res;
}

Status remove_host_forward_accept(Nft& nft, const std::string& bridge) {
  for (const char* tool : {"iptables-nft", "iptables-legacy"}) {
    if (std::string(tool) == "iptables-legacy" && !legacy_filter_table_exists()) continue;
    if (std::string(tool) == "iptables-nft") {
      // Never let the tool create a filter table that is not there.
      auto out = nft.query("list chain ip filter FORWARD");
      if (!out) continue;
    }
    for (const char* dir : {"-o", "-i"}) {
      // Only our own tagged rule matches -C/-D; remove every copy.
      for (int i = 0; i < 16 && run_tool(rule(tool, "-C", dir, bridge)) == 0; ++i)
        if (run_tool(rule(tool, "-D", dir, bridge)) != 0) break;
    }
  }
  return {};
}

}  // namespace ecsd::netns
