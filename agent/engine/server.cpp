#include "agent/engine/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>

#include "agent/engine/task_json.h"

namespace ecsd::engine {

std::string socket_path(const std::string& data_dir) { return data_dir + "/ecsd.sock"; }

namespace {

struct Client {
  UniqueFd fd;
  std::string in;
  bool follow = false;
  uint64_t cursor = 0;
  std::string task;  // follow filter (full id), empty: all
  bool closing = false;
};

bool send_line(Client& c, const nlohmann::json& j) {
  std::string s = j.dump() + "\n";
  std::string_view d = s;
  while (!d.empty()) {
    ssize_t n = ::send(c.fd.get(), d.data(), d.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      c.closing = true;
      return false;
    }
    d.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

nlohmann::json error_json(const std::string& m) { return {{"ok", false}, {"error", m}}; }

}  // namespace

struct Server::Impl {
  Engine& engine;
  std::string path;
  UniqueFd listen_fd;
  UniqueFd wake_fd;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::map<int, Client> clients;

  explicit Impl(Engine& e) : engine(e) {}

  void handle(Client& c, const std::string& line) {
    auto req = nlohmann::json::parse(line, nullptr, false);
    if (!req.is_object()) {
      send_line(c, error_json("request is not a JSON object"));
      return;
    }
    std::string op = req.value("op", "");
    if (op == "ping") {
      send_line(c, {{"ok", true}, {"pid", ::getpid()}});
    } else if (op == "submit") {
      SourceKind kind = req.value("source", "task-definition") == "acs" ? SourceKind::acs : SourceKind::task_definition;
      auto id = engine.submit(kind, req.value("json", ""), req.value("arn", ""));
      if (!id) send_line(c, error_json(id.error().message));
      else send_line(c, {{"ok", true}, {"id", *id}});
    } else if (op == "stop") {
      auto s = engine.stop(req.value("task", ""));
      if (!s) send_line(c, error_json(s.error().message));
      else send_line(c, {{"ok", true}});
    } else if (op == "list") {
      auto a = nlohmann::json::array();
      for (const auto& t : engine.tasks()) a.push_back(task_to_json(t, engine.waiting_reason(t.id)));
      send_line(c, {{"ok", true}, {"tasks", a}});
    } else if (op == "inspect") {
      auto t = engine.task(req.value("task", ""));
      if (!t) send_line(c, error_json(t.error().message));
      else send_line(c, {{"ok", true}, {"task", task_to_json(*t, engine.waiting_reason(t->id))}});
    } else if (op == "events") {
      std::string task = req.value("task", "");
      if (!task.empty()) {
        auto t = engine.task(task);
        if (!t) {
          send_line(c, error_json(t.error().message));
          return;
        }
        task = t->id;
      }
      uint64_t after = req.contains("after") ? req.value("after", uint64_t{0}) : engine.last_seq();
      if (req.value("follow", false)) {
        c.follow = true;
        c.cursor = after;
        c.task = task;
        send_line(c, {{"ok", true}, {"lastSeq", engine.last_seq()}});
        push(c);
      } else {
        auto a = nlohmann::json::array();
        for (const auto& e : engine.events_after(after))
          if (task.empty() || e.task_id == task) a.push_back(event_to_json(e));
        send_line(c, {{"ok", true}, {"events", a}});
      }
    } else {
      send_line(c, error_json("unknown op \"" + op + "\""));
    }
  }

  void push(Client& c) {
    if (!c.follow || engine.last_seq() <= c.cursor) return;
    for (const auto& e : engine.events_after(c.cursor)) {
      c.cursor = e.seq;
      if (!c.task.empty() && e.task_id != c.task) continue;
      if (!send_line(c, {{"event", event_to_json(e)}})) return;
    }
  }

  void loop() {
    while (!stopping) {
      std::vector<pollfd> fds = {{listen_fd.get(), POLLIN, 0}, {wake_fd.get(), POLLIN, 0}};
      for (auto& [fd, c] : clients) fds.push_back({fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 1000);
      if (stopping) break;
      uint64_t v;
      while (::read(wake_fd.get(), &v, sizeof v) > 0) {
      }
      if (fds[0].revents & POLLIN) {
        int cfd = ::accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (cfd >= 0) {
          timeval tv{5, 0};
          ::setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
          if (clients.size() >= 256) ::close(cfd);
          else clients[cfd].fd.reset(cfd);
        }
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        auto it = clients.find(fds[i].fd);
        if (it == clients.end() || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        Client& c = it->second;
        char buf[65536];
        ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n <= 0) {
          c.closing = true;
          continue;
        }
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > (16u << 20)) {
          send_line(c, error_json("request too large"));
          c.closing = true;
          continue;
        }
        size_t nl;
        while (!c.closing && (nl = c.in.find('\n')) != std::string::npos) {
          std::string line = c.in.substr(0, nl);
          c.in.erase(0, nl + 1);
          handle(c, line);
        }
      }
      for (auto& [fd, c] : clients) push(c);
      std::erase_if(clients, [](const auto& kv) { return kv.second.closing; });
    }
  }
};

Result<std::unique_ptr<Server>> Server::start(Engine& engine, const std::string& path) {
  std::unique_ptr<Server> s(new Server());
  s->impl_ = std::make_unique<Impl>(engine);
  Impl& im = *s->impl_;
  im.path = path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_invalid("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  im.listen_fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!im.listen_fd) return fail_sys(errno, "socket");
  ::unlink(path.c_str());  // the engine lock says no other daemon owns it
  mode_t old = ::umask(0077);
  int rc = ::bind(im.listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) return fail_sys(errno, "bind", path);
  if (::listen(im.listen_fd.get(), 64) != 0) return fail_sys(errno, "listen", path);
  im.wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  im.thread = std::thread([&im] { im.loop(); });
  return s;
}

void Server::notify() {
  if (!impl_) return;
  uint64_t one = 1;
  (void)!::write(impl_->wake_fd.get(), &one, sizeof one);
}

void Server::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  notify();
  if (impl_->thread.joinable()) impl_->thread.join();
  ::unlink(impl_->path.c_str());
}

Server::~Server() { stop(); }

}  // namespace ecsd::engine
