#include "runtime/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/path_in_root.h"

namespace ecsd::runtime {
namespace {

Device chr(const char* path, int major, int minor) {
  Device d;
  d.type = "c";
  d.path = path;
  d.major = major;
  d.minor = minor;
  d.file_mode = 0666;
  d.uid = 0;
  d.gid = 0;
  return d;
}

}  // namespace

std::vector<Device> default_devices() {
  return {chr("/dev/null", 1, 3),    chr("/dev/zero", 1, 5),    chr("/dev/full", 1, 7),
          chr("/dev/random", 1, 8),  chr("/dev/urandom", 1, 9), chr("/dev/tty", 5, 0)};
}

Result<std::vector<Device>> plan_devices(const std::vector<Device>& spec_devices) {
  std::vector<Device> out;
  for (size_t i = 0; i < spec_devices.size(); ++i) {
    const auto& d = spec_devices[i];
    std::string where = "linux.devices[" + std::to_string(i) + "]";
    if (d.path.empty() || d.path[0] != '/') return fail_invalid(where + ".path: must be absolute, got \"" + d.path + "\"");
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
      return fail_invalid(where + ".type: must be c, b, u or p, got \"" + d.type + "\"");
    if (d.major < 0 || d.minor < 0) return fail_invalid(where + ": major/minor must not be negative");
    out.push_back(d);
  }
  for (auto& d : default_devices()) {
    bool listed = false;
    for (const auto& s : out)
      if (clean_path(s.path) == d.path) listed = true;
    if (!listed) out.push_back(std::move(d));
  }
  return out;
}

Status create_devices(int rootfd, const std::vector<Device>& devices, bool bind_instead) {
  for (const auto& d : devices) {
    std::string path = clean_path(d.path);
    size_t slash = path.rfind('/');
    std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    std::string name = path.substr(slash + 1);
    auto dir = mkdir_all_in_root(rootfd, parent);
    if (!dir) return fail(dir.error().with_context("creating device " + path));
    bool done = false;
    if (!bind_instead) {
      mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
      mode_t mode = (d.file_mode ? *d.file_mode : 0666) & 07777;
      ::unlinkat(dir->get(), name.c_str(), 0);  // replace whatever the image had
      if (::mknodat(dir->get(), name.c_str(), type | mode,
                    makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) == 0) {
        done = true;
        // mknod applies the umask; the spec's mode is what the node gets.
        if (::fchmodat(dir->get(), name.c_str(), mode, 0) != 0) return fail_sys(errno, "chmod device", path);
        if (::fchownat(dir->get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) != 0)
          return fail_sys(errno, "chown device", path);
      } else if (errno != EPERM) {
        return fail_sys(errno, "mknod", path);
      }
    }
    if (!done) {
      auto target = ensure_file_in_root(rootfd, path, 0000);
      if (!target) return fail(target.error().with_context("creating device " + path));
      if (::mount(d.path.c_str(), fd_path(target->get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
        return fail_sys(errno, "bind mount host device", d.path);
    }
  }
  return {};
}

Status create_dev_symlinks(int rootfd) {
  auto dev = mkdir_all_in_root(rootfd, "/dev");
  if (!dev) return fail(dev.error());
  static const char* const kLinks[][2] = {
      {"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},     {"pts/ptmx", "ptmx"},
  };
  // Like runc: /dev/core only when the host kernel has /proc/kcore (this runs
  // before pivot_root, so /proc is still the host's).
  bool have_kcore = ::access("/proc/kcore", F_OK) == 0;
  for (const auto& l : kLinks) {
    if (std::string_view(l[1]) == "core" && !have_kcore) continue;
    if (::symlinkat(l[0], dev->get(), l[1]) != 0 && errno != EEXIST)
      return fail_sys(errno, "symlink", std::string("/dev/") + l[1]);
  }
  return {};
}

}  // namespace ecsd::runtime
