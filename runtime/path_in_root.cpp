#include "runtime/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace ecsd::runtime {

std::string clean_path(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view c = p.substr(i, j - i);
    if (c.empty() || c == ".") {
    } else if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string out;
  for (auto c : parts) {
    out.push_back('/');
    out.append(c);
  }
  return out.empty() ? "/" : out;
}

std::vector<std::string> path_components(std::string_view clean) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < clean.size()) {
    size_t j = clean.find('/', i);
    if (j == std::string_view::npos) j = clean.size();
    if (j > i) out.emplace_back(clean.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<UniqueFd> open_in_root(int rootfd, std::string_view path, int flags, mode_t mode) {
  std::string rel = clean_path(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = rel.size() > 1 ? rel.c_str() + 1 : ".";
  for (;;) {
    long fd = ::syscall(SYS_openat2, rootfd, p, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || errno == EAGAIN) continue;
    return fail_sys(errno, "open in rootfs", rel);
  }
}

Result<UniqueFd> mkdir_all_in_root(int rootfd, std::string_view path, mode_t mode) {
  std::string clean = clean_path(path);
  auto parts = path_components(clean);
  UniqueFd cur(::fcntl(rootfd, F_DUPFD_CLOEXEC, 3));
  if (!cur) return fail_sys(errno, "dup rootfs fd");
  std::string prefix;
  for (const auto& c : parts) {
    prefix += "/" + c;
    auto next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
    if (!next && next.error().code == ENOENT) {
      if (::mkdirat(cur.get(), c.c_str(), mode) != 0 && errno != EEXIST)
        return fail_sys(errno, "mkdir in rootfs", prefix);
      next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
    }
    if (!next) return fail(next.error());
    cur = std::move(*next);
  }
  return cur;
}

Result<UniqueFd> ensure_file_in_root(int rootfd, std::string_view path, mode_t mode) {
  std::string clean = clean_path(path);
  auto existing = open_in_root(rootfd, clean, O_PATH);
  if (existing) return existing;
  if (existing.error().code != ENOENT) return existing;
  size_t slash = clean.rfind('/');
  std::string parent = clean.substr(0, slash);
  std::string name = clean.substr(slash + 1);
  auto dir = mkdir_all_in_root(rootfd, parent.empty() ? "/" : parent);
  if (!dir) return fail(dir.error());
  int fd = ::openat(dir->get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0 && errno != EEXIST) return fail_sys(errno, "create in rootfs", clean);
  if (fd >= 0) ::close(fd);
  return open_in_root(rootfd, clean, O_PATH);
}

}  // namespace ecsd::runtime
