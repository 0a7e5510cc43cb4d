#include "runtime/image/fs_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "runtime/image/tar_path.h"

namespace ecsd::image {

namespace {

int sys_openat2(int dirfd, const char* path, const open_how* how) {
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, how, sizeof(*how)));
}

// Returns the names in a directory (excluding . and ..). Takes a dup of fd.
Result<std::vector<std::string>> list_names(int dir_fd, std::string_view what) {
  int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail_sys(errno, "dup directory fd of", what);
  ::lseek(dup, 0, SEEK_SET);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    int e = errno;
    ::close(dup);
    return fail_sys(e, "fdopendir", what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* de = ::readdir(d)) {
    std::string_view n = de->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  int e = errno;
  ::closedir(d);
  if (e) return fail_sys(e, "readdir", what);
  return names;
}

Status remove_children(int dir_fd, std::string_view what, int depth);

Status remove_entry(int dir_fd, const std::string& name, std::string_view what, int depth) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR) return fail_sys(errno, "unlink", std::string(what) + "/" + name);
  if (depth > 4096) return fail_invalid("directory tree too deep at " + std::string(what));
  UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) {
    if (errno == ENOENT) return {};
    return fail_sys(errno, "open", std::string(what) + "/" + name);
  }
  ECSD_TRY(remove_children(sub.get(), std::string(what) + "/" + name, depth + 1));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return fail_sys(errno, "rmdir", std::string(what) + "/" + name);
  }
  return {};
}

Status remove_children(int dir_fd, std::string_view what, int depth) {
  auto names = list_names(dir_fd, what);
  if (!names) return std::unexpected(names.error());
  for (const auto& n : *names) ECSD_TRY(remove_entry(dir_fd, n, what, depth));
  return {};
}

}  // namespace

Result<UniqueFd> open_dir_beneath(int root_fd, std::string_view rel, bool create) {
  if (rel.empty()) {
    int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return fail_sys(errno, "dup layer root fd");
    return UniqueFd(fd);
  }
  std::string path(rel);
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  int fd = sys_openat2(root_fd, path.c_str(), &how);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if (err != ENOENT && err != ENOSYS) {
    if (err == ELOOP) {
      return fail_invalid("path '" + path + "' goes through a symlink");
    }
    if (err == ENOTDIR) return fail_invalid("path '" + path + "' goes through a non-directory");
    if (err == EXDEV) return fail_invalid("path '" + path + "' crosses a mount point");
    return fail_sys(err, "open directory", path);
  }
  // Walk component by component, creating what is missing.
  UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!cur) return fail_sys(errno, "dup layer root fd");
  std::string done;
  for (const auto& c : split_path(path)) {
    if (!done.empty()) done.push_back('/');
    done.append(c);
    int next = ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail_sys(errno, "mkdir", done);
      }
      next = ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      if (errno == ELOOP) return fail_invalid("path '" + path + "' goes through a symlink at '" + done + "'");
      if (errno == ENOTDIR) return fail_invalid("path '" + path + "' goes through a non-directory at '" + done + "'");
      return fail_sys(errno, "open directory", done);
    }
    cur.reset(next);
  }
  return cur;
}

Status remove_tree_at(int dir_fd, const std::string& name) {
  return remove_entry(dir_fd, name, name, 0);
}

Status remove_tree(const std::string& path) {
  return remove_entry(AT_FDCWD, path, path, 0);
}

Status clear_dir(int dir_fd, std::string_view what) { return remove_children(dir_fd, what, 0); }

namespace {
std::uint64_t size_at(int dir_fd, int depth) {
  if (depth > 4096) return 0;
  auto names = list_names(dir_fd, "");
  if (!names) return 0;
  std::uint64_t total = 0;
  for (const auto& n : *names) {
    struct stat st;
    if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      total += static_cast<std::uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dir_fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) total += size_at(sub.get(), depth + 1);
    }
  }
  return total;
}
}  // namespace

std::uint64_t tree_size(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return 0;
  return size_at(fd.get(), 0);
}

}  // namespace ecsd::image
