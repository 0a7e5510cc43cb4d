#include "netns/sysctl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/file_util.h"
#include "common/unique_fd.h"

namespace ecsd::netns {

Result<std::string> read_sysctl(const std::string& key) {
  auto v = read_file("/proc/sys/" + key);
  if (!v) return fail(v.error());
  return std::string(trim(*v));
}

Status write_sysctl(const std::string& key, const std::string& value) {
  auto cur = read_sysctl(key);
  if (cur && *cur == value) return {};
  return write_existing_file("/proc/sys/" + key, value);
}

bool host_port_in_use(Protocol p, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, (p == Protocol::udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return false;
  return errno == EADDRINUSE;
}

Result<UniqueFd> hold_host_port(Protocol p, uint16_t port) {
  std::string what = "hold host port " + std::to_string(port) + "/" + protocol_name(p);
  UniqueFd fd(::socket(AF_INET, (p == Protocol::udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys(errno, what);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return fail_sys(errno, what);
  return fd;
}

}  // namespace ecsd::netns
