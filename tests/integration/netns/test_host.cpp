#include "tests/integration/netns/test_host.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "netns/netns_file.h"

namespace ecsd::netns::testing {

namespace {

TestHostState g_state;

void enter_or_die(const std::string& netns_path) {
  if (netns_path.empty()) return;
  int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "enter %s: %s\n", netns_path.c_str(), std::strerror(errno));
    ::_exit(111);
  }
  ::close(fd);
}

// Forked helpers must not keep the parent's fds (e.g. the state lock).
void close_other_fds(int keep) {
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep - 1), 0);
  ::close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
}

// Runs fn in a forked child (in netns_path) and returns what it wrote to the pipe.
std::string in_child(const std::string& netns_path, const std::function<std::string()>& fn) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return "ERR pipe";
  pid_t pid = ::fork();
  if (pid < 0) return "ERR fork";
  if (pid == 0) {
    ::close(p[0]);
    close_other_fds(p[1]);
    enter_or_die(netns_path);
    std::string r = fn();
    size_t off = 0;
    while (off < r.size()) {
      ssize_t n = ::write(p[1], r.data() + off, r.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

sockaddr_in addr_of(const std::string& ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

std::string errno_text(const char* what) { return std::string("ERR ") + what + ": " + std::strerror(errno); }

// Connects with a timeout; returns the fd or -1 with *err set.
int connect_timeout(const std::string& ip, uint16_t port, int timeout_ms, std::string* err) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in sa = addr_of(ip, port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    *err = errno_text("connect");
    ::close(fd);
    return -1;
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (::poll(&pfd, 1, timeout_ms) != 1) {
    *err = "ERR connect: timed out";
    ::close(fd);
    return -1;
  }
  int soerr = 0;
  socklen_t len = sizeof soerr;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
  if (soerr) {
    errno = soerr;
    *err = errno_text("connect");
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_all(int fd, int timeout_ms) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) != 1) return out.empty() ? "ERR read: timed out" : out;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Forks a server: `serve(listen_fd)` runs in the child after bind/listen, and
// the parent returns once the socket is bound.
Child fork_server(const std::string& netns_path, int type, const std::string& ip, uint16_t port,
                  const std::function<void(int)>& serve) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Child();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    close_other_fds(p[1]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    enter_or_die(netns_path);
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa = addr_of(ip, port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      std::fprintf(stderr, "bind %s:%u: %s\n", ip.c_str(), port, std::strerror(errno));
      ::_exit(112);
    }
    if (type == SOCK_STREAM) ::listen(fd, 64);
    char c = 1;
    (void)::write(p[1], &c, 1);
    ::close(p[1]);
    serve(fd);
    ::_exit(0);
  }
  ::close(p[1]);
  char c = 0;
  ssize_t n = ::read(p[0], &c, 1);
  ::close(p[0]);
  Child child(pid);
  if (n != 1) child.kill_now();
  return child;
}

}  // namespace

const TestHostState& test_host_state() { return g_state; }

TestHostState enter_test_host() {
  static bool mount_ns_done = false;
  TestHostState s;
  if (::geteuid() != 0) {
    s.error = "the netns root tests must run as root (they create network namespaces)";
    return g_state = s;
  }
  if (!mount_ns_done) {
    if (::unshare(CLONE_NEWNS) != 0) {
      s.error = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
      return g_state = s;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      s.error = std::string("make / private: ") + std::strerror(errno);
      return g_state = s;
    }
    mount_ns_done = true;
  }
  // A fresh network namespace: the previous test host (if any) goes away
  // with its last reference.
  if (::unshare(CLONE_NEWNET) != 0) {
    s.error = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    return g_state = s;
  }
  // /sys shows the network namespace of whoever mounted it: remount it so
  // /sys/class/net is this test host's.
  ::umount2("/sys", MNT_DETACH);
  if (::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0) {
    s.error = std::string("mount sysfs: ") + std::strerror(errno);
    return g_state = s;
  }
  if (sh("ip link set lo up") != 0) {
    s.error = "ip link set lo up failed";
    return g_state = s;
  }
  s.ok = true;
  return g_state = s;
}

int sh(const std::string& cmd, std::string* out) {
  std::string full = cmd + " 2>&1";
  FILE* f = ::popen(full.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    if (out) out->append(buf, n);
  int st = ::pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string sh_out(const std::string& cmd) {
  std::string out;
  sh(cmd, &out);
  return out;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    kill_now();
    pid_ = o.pid_;
    o.pid_ = -1;
  }
  return *this;
}

Child::~Child() { kill_now(); }

void Child::kill_now() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

Child tcp_server(const std::string& netns_path, const std::string& ip, uint16_t port,
                 const std::string& body) {
  return fork_server(netns_path, SOCK_STREAM, ip, port, [body](int fd) {
    for (;;) {
      int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      char buf[1024];
      pollfd pfd{c, POLLIN, 0};
      if (::poll(&pfd, 1, 1000) == 1) (void)::read(c, buf, sizeof buf);
      std::string r = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)::write(c, r.data(), r.size());
      ::close(c);
    }
  });
}

Child peer_address_server(const std::string& netns_path, uint16_t port) {
  return fork_server(netns_path, SOCK_STREAM, "0.0.0.0", port, [](int fd) {
    for (;;) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int c = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (c < 0) continue;
      char ip[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
      (void)::write(c, ip, std::strlen(ip));
      ::close(c);
    }
  });
}

Child udp_server(const std::string& netns_path, uint16_t port, const std::string& prefix) {
  return fork_server(netns_path, SOCK_DGRAM, "0.0.0.0", port, [prefix](int fd) {
    for (;;) {
      char buf[2048];
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
      if (n < 0) continue;
      std::string r = prefix + std::string(buf, static_cast<size_t>(n));
      ::sendto(fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&peer), len);
    }
  });
}

Child busybox_httpd(const std::string& netns_path, uint16_t port, const std::string& dir) {
  pid_t pid = ::fork();
  if (pid == 0) {
    close_other_fds(2);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    enter_or_die(netns_path);
    std::string p = std::to_string(port);
    ::execlp("busybox", "busybox", "httpd", "-f", "-p", p.c_str(), "-h", dir.c_str(), nullptr);
    ::_exit(127);
  }
  Child c(pid);
  for (int i = 0; i < 100; ++i) {
    std::string r = tcp_read(netns_path, "127.0.0.1", port, 200);
    if (r.rfind("ERR", 0) != 0) return c;
    ::usleep(20000);
  }
  return c;
}

std::string tcp_read(const std::string& netns_path, const std::string& ip, uint16_t port, int timeout_ms) {
  return in_child(netns_path, [&]() -> std::string {
    std::string err;
    int fd = connect_timeout(ip, port, timeout_ms, &err);
    if (fd < 0) return err;
    std::string req = "GET / HTTP/1.0\r\n\r\n";
    (void)::write(fd, req.data(), req.size());
    std::string r = read_all(fd, timeout_ms);
    ::close(fd);
    return r;
  });
}

std::string http_get(const std::string& netns_path, const std::string& ip, uint16_t port, int timeout_ms) {
  std::string r = tcp_read(netns_path, ip, port, timeout_ms);
  if (r.rfind("ERR", 0) == 0) return r;
  auto p = r.find("\r\n\r\n");
  if (p == std::string::npos) return "ERR no HTTP body in: " + r;
  return r.substr(p + 4);
}

std::string udp_ask(const std::string& netns_path, const std::string& ip, uint16_t port, const std::string& msg,
                    int timeout_ms) {
  return in_child(netns_path, [&]() -> std::string {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa = addr_of(ip, port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return errno_text("connect");
    // A few tries: the first datagram may be lost to neighbour resolution.
    for (int i = 0; i < 5; ++i) {
      (void)::send(fd, msg.data(), msg.size(), 0);
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, timeout_ms / 5) == 1) {
        char buf[2048];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n >= 0) return std::string(buf, static_cast<size_t>(n));
        return errno_text("recv");
      }
    }
    return "ERR udp: no answer";
  });
}

ClientHost make_client_host(const std::string& dir, const std::string& name, const std::string& host_ip,
                            const std::string& client_ip, uint32_t mtu) {
  ClientHost c;
  c.netns_path = dir + "/" + name;
  c.host_if = name + "h";
  c.host_ip = host_ip;
  c.client_ip = client_ip;
  auto ns = create_named_netns(c.netns_path);
  if (!ns) return c;
  std::string m = std::to_string(mtu);
  std::string in = "nsenter --net=" + c.netns_path + " ";
  sh("ip link add " + c.host_if + " mtu " + m + " type veth peer name " + name + "c mtu " + m);
  sh("ip link set " + name + "c netns " + c.netns_path);
  sh("ip addr add " + host_ip + "/24 dev " + c.host_if);
  sh("ip link set " + c.host_if + " up");
  sh(in + "ip link set lo up");
  sh(in + "ip link set " + name + "c name eth0");
  sh(in + "ip addr add " + client_ip + "/24 dev eth0");
  sh(in + "ip link set eth0 up");
  sh(in + "ip route add default via " + host_ip);
  sh("ip route replace default via " + client_ip + " dev " + c.host_if);
  return c;
}

void remove_client_host(const ClientHost& c) {
  sh("ip link del " + c.host_if);
  (void)remove_named_netns(c.netns_path);
}

std::vector<std::string> interfaces(const std::string& netns_path) {
  std::string cmd = netns_path.empty() ? "" : "nsenter --net=" + netns_path + " ";
  std::string out = sh_out(cmd + "ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1");
  std::vector<std::string> v;
  size_t s = 0;
  while (s < out.size()) {
    size_t e = out.find('\n', s);
    if (e == std::string::npos) e = out.size();
    if (e > s) v.push_back(out.substr(s, e - s));
    s = e + 1;
  }
  return v;
}

}  // namespace ecsd::netns::testing
