#include "netns/netns_file.h"

#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/file_util.h"

namespace ecsd::netns {

Result<UniqueFd> create_named_netns(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) ECSD_TRY(make_dirs(path.substr(0, slash), 0755));
  {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!f) return fail_sys(errno, "create netns file", path);
  }
  UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self) {
    int e = errno;
    ::unlink(path.c_str());
    return fail_sys(e, "open", "/proc/thread-self/ns/net");
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    int e = errno;
    ::unlink(path.c_str());
    return fail_sys(e, "unshare network namespace for", path);
  }
  int mount_errno = 0;
  UniqueFd ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!ns) mount_errno = errno;
  else if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
    mount_errno = errno;
  if (::setns(self.get(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "ecsd netns: cannot return to the original network namespace: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  if (mount_errno) {
    ::unlink(path.c_str());
    return fail_sys(mount_errno, "bind-mount network namespace on", path);
  }
  return ns;
}

Result<UniqueFd> open_named_netns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_sys(errno, "open network namespace", path);
  return fd;
}

bool is_named_netns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  struct statfs sf {};
  return ::fstatfs(fd.get(), &sf) == 0 && static_cast<unsigned long>(sf.f_type) == NSFS_MAGIC;
}

Status remove_named_netns(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return fail_sys(errno, "unmount network namespace", path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_sys(errno, "remove", path);
  return {};
}

}  // namespace ecsd::netns
