// Test helper: a child process (python fixture servers) with its stdin and
// stdout on pipes. The fixtures print "PORT <n>" (or any "KEY value" lines)
// once ready and exit when their stdin closes; the destructor closes stdin,
// sends SIGTERM after a grace period and reaps the child.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace ecsd::testing {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      for (const auto& e : extra_env) putenv(strdup(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  pid_t pid() const { return pid_; }

  // Reads stdout lines until one starts with `key + " "`; returns the rest.
  // "" on EOF or timeout.
  std::string wait_for(const std::string& key, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto nl = buf_.find('\n');
      while (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        lines_.push_back(line);
        if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
        nl = buf_.find('\n');
      }
      pollfd p{stdout_, POLLIN, 0};
      int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (poll(&p, 1, ms > 0 ? ms : 0) <= 0) continue;
      char tmp[4096];
      ssize_t n = read(stdout_, tmp, sizeof tmp);
      if (n <= 0) return "";
      buf_.append(tmp, static_cast<size_t>(n));
    }
    return "";
  }
  const std::vector<std::string>& lines() const { return lines_; }

  void stop() {
    if (pid_ <= 0) return;
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
    for (int i = 0; i < 50; ++i) {
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      if (i == 20) kill(pid_, SIGTERM);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdout_ >= 0) close(stdout_);
    stdout_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  std::string buf_;
  std::vector<std::string> lines_;
};

}  // namespace ecsd::testing
