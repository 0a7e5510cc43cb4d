// Test hosts for the task-networking root tests.
//
// Every test process (ctest runs one process per test) first moves into a
// private network and mount namespace: that namespace is "the host" the
// library works on (its bridge, nftables table, sysctls, localhost). Nothing
// reaches the machine's own network stack or firewall. A second namespace,
// the "client host", is joined to it by a veth pair and plays another machine
// on the network (and the internet, for outbound NAT).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ecsd::netns::testing {

// Result of entering the test host (done in main() before any test).
struct TestHostState {
  bool ok = false;
  std::string error;
};
const TestHostState& test_host_state();
TestHostState enter_test_host();

// Runs a shell command in the current namespaces; returns its exit status
// and appends stdout+stderr to *out when given.
int sh(const std::string& cmd, std::string* out = nullptr);
std::string sh_out(const std::string& cmd);

// A child process killed and reaped on destruction.
class Child {
 public:
  Child() = default;
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Child& operator=(Child&& o) noexcept;
  ~Child();
  pid_t pid() const { return pid_; }
  void kill_now();

 private:
  pid_t pid_ = -1;
};

// A TCP server in the namespace at netns_path ("" = the test host) that
// answers every connection with an HTTP/1.0 response whose body is `body`.
// Returns once it listens.
Child tcp_server(const std::string& netns_path, const std::string& ip, uint16_t port,
                 const std::string& body);
// busybox httpd serving `dir` in the namespace (waits until it answers).
Child busybox_httpd(const std::string& netns_path, uint16_t port, const std::string& dir);
// A UDP server that answers each datagram with `prefix` + the datagram.
Child udp_server(const std::string& netns_path, uint16_t port, const std::string& prefix);
// A TCP server that answers each connection with the peer's address
// ("a.b.c.d") and closes.
Child peer_address_server(const std::string& netns_path, uint16_t port);

// Client calls from inside a namespace ("" = the test host), in a forked
// child. They return the response body (HTTP) or the whole answer, or a
// string starting with "ERR " describing the failure (timeouts included).
std::string http_get(const std::string& netns_path, const std::string& ip, uint16_t port,
                     int timeout_ms = 3000);
std::string tcp_read(const std::string& netns_path, const std::string& ip, uint16_t port,
                     int timeout_ms = 3000);
std::string udp_ask(const std::string& netns_path, const std::string& ip, uint16_t port,
                    const std::string& msg, int timeout_ms = 3000);

// The client host: a namespace file under `dir`, veth "<name>h" in the test
// host (host_ip/24) and "eth0" in the client (client_ip/24, default route via
// host_ip). The test host gets a default route via the client (its uplink).
struct ClientHost {
  std::string netns_path;
  std::string host_if;
  std::string host_ip;
  std::string client_ip;
};
ClientHost make_client_host(const std::string& dir, const std::string& name, const std::string& host_ip,
                            const std::string& client_ip, uint32_t mtu = 1500);
void remove_client_host(const ClientHost& c);

// Interface names in a namespace ("" = the test host).
std::vector<std::string> interfaces(const std::string& netns_path);

}  // namespace ecsd::netns::testing
