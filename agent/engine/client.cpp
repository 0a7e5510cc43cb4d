#include "agent/engine/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "agent/engine/server.h"
#include "agent/engine/spawn.h"
#include "common/file_util.h"

namespace ecsd::engine {

namespace {

Result<UniqueFd> dial(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_invalid("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys(errno, "socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_sys(errno, "connect to the ecsd daemon at", path);
  return fd;
}

}  // namespace

Result<Client> Client::connect(const std::string& data_dir, bool autostart, const std::string& ecsd_path) {
  std::string path = socket_path(data_dir);
  auto fd = dial(path);
  if (fd || !autostart) {
    if (!fd) return fail(fd.error().with_context("is `ecsd daemon` running?"));
    Client c;
    c.fd_ = std::move(*fd);
    return c;
  }
  std::string exe = ecsd_path;
  if (exe.empty()) {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return fail_sys(errno, "readlink", "/proc/self/exe");
    exe.assign(buf, static_cast<size_t>(n));
  }
  ECSD_TRY(make_dirs(data_dir, 0711));
  UniqueFd log(::open((data_dir + "/ecsd.log").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  SpawnRequest sr;
  sr.argv = {exe, "--data-dir", data_dir, "daemon"};
  sr.stdout_fd = log ? log.get() : -1;
  sr.new_session = true;
  auto pid = spawn_process(sr);
  if (!pid) return fail(pid.error().with_context("starting the ecsd daemon"));
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 50 ? 10 : 50));
    if (auto again = dial(path)) {
      Client c;
      c.fd_ = std::move(*again);
      return c;
    }
    int st;
    if (::waitpid(*pid, &st, WNOHANG) == *pid) {
      auto tail = read_file(data_dir + "/ecsd.log").value_or("");
      if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
      return fail_invalid("the ecsd daemon exited at start; " + data_dir + "/ecsd.log ends with:\n" + tail);
    }
  }
  return fail_invalid("the ecsd daemon did not open " + path + " within 15 s (see " + data_dir + "/ecsd.log)");
}

Status Client::send(const nlohmann::json& req) {
  std::string s = req.dump() + "\n";
  std::string_view d = s;
  while (!d.empty()) {
    ssize_t n = ::send(fd_.get(), d.data(), d.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_sys(errno, "write to the ecsd daemon");
    d.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::optional<nlohmann::json>> Client::read(int timeout_ms) {
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      auto j = nlohmann::json::parse(buf_.substr(0, nl), nullptr, false);
      buf_.erase(0, nl + 1);
      if (j.is_discarded()) return fail_invalid("bad response from the ecsd daemon");
      return std::optional<nlohmann::json>(std::move(j));
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) return std::optional<nlohmann::json>();
    if (r == 0) return std::optional<nlohmann::json>();
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_invalid("the ecsd daemon closed the connection");
    buf_.append(buf, static_cast<size_t>(n));
  }
}

Result<nlohmann::json> Client::call(const nlohmann::json& req) {
  ECSD_TRY(send(req));
  for (;;) {
    auto r = read(-1);
    if (!r) return fail(r.error());
    if (!*r) continue;
    auto& j = **r;
    if (!j.value("ok", false)) return fail_invalid(j.value("error", "request failed"));
    return j;
  }
}

}  // namespace ecsd::engine
