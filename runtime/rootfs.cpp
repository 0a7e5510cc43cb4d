#include "runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_util.h"
#include "runtime/devices.h"
#include "runtime/path_in_root.h"

namespace ecsd::runtime {
namespace {

bool is_bind(const Mount& m, const MountOptions& o) { return o.bind || m.type == "bind"; }

std::string join_bundle(const std::string& bundle, const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  if (bundle.empty()) return p;
  return bundle + "/" + p;
}

Status do_mount(const char* src, const std::string& target, const char* type, unsigned long flags, const std::string& data,
                const std::string& dest_for_error) {
  if (::mount(src, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0)
    return fail_sys(errno, std::string("mount ") + (type ? type : "bind") + (src ? std::string(" ") + src : "") + " on",
                    dest_for_error);
  return {};
}

// Remount a bind mount with flags, keeping the flags the kernel locks.
Status remount_bind(const std::string& target, unsigned long flags, const std::string& dest_for_error) {
  struct statvfs sv;
  unsigned long locked = 0;
  if (::statvfs(target.c_str(), &sv) == 0) locked = locked_flags_from_statvfs(sv.f_flag) & ~MS_RDONLY;
  if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | flags | locked, nullptr) != 0)
    return fail_sys(errno, "remount", dest_for_error);
  return {};
}

constexpr unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                                       MS_RELATIME | MS_STRICTATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK;

std::string basename_of(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

Status mount_cgroups(int rootfd, const PlannedMount& m, const RootfsPlan& plan) {
  if (!plan.hierarchy) return fail_invalid("mount cgroup on " + m.destination + ": no cgroup hierarchy known");
  const auto& h = *plan.hierarchy;
  unsigned long flags = m.opts.flags & ~MS_REMOUNT;
  auto dest = mkdir_all_in_root(rootfd, m.destination);
  if (!dest) return fail(dest.error());
  if (h.layout() == cgroups::Layout::kV2) {
    if (plan.cgroupns) return do_mount("cgroup2", fd_path(dest->get()), "cgroup2", flags, "", m.destination);
    const auto* u = h.unified();
    if (!u) return fail_invalid("mount cgroup on " + m.destination + ": no cgroup2 mount");
    std::string src = u->dir + "/" + plan.cgroup_path;
    ECSD_TRY(do_mount(src.c_str(), fd_path(dest->get()), nullptr, MS_BIND | MS_REC, "", m.destination));
    if (flags & kRemountable) {
      auto again = open_in_root(rootfd, m.destination, O_PATH | O_DIRECTORY);
      if (!again) return fail(again.error());
      ECSD_TRY(remount_bind(fd_path(again->get()), flags & kRemountable, m.destination));
    }
    return {};
  }
  // v1 / hybrid: a tmpfs holding one mount per hierarchy.
  unsigned long tmpfs_flags = (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  ECSD_TRY(do_mount("tmpfs", fd_path(dest->get()), "tmpfs", tmpfs_flags, "mode=755", m.destination));
  auto top = open_in_root(rootfd, m.destination, O_PATH | O_DIRECTORY);
  if (!top) return fail(top.error());
  for (const auto& hm : h.mounts()) {
    std::string name = basename_of(hm.dir);
    if (name.empty()) continue;
    // Hybrid hosts: like runc and Docker, the container sees the v1
    // hierarchies only (its limits live there), not /sys/fs/cgroup/unified.
    if (hm.unified) continue;
    std::string sub = m.destination + "/" + name;
    auto subfd = mkdir_all_in_root(rootfd, sub);
    if (!subfd) return fail(subfd.error());
    std::string target = fd_path(subfd->get());
    unsigned long f = flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (plan.cgroupns) {
      if (hm.unified) {
        ECSD_TRY(do_mount("cgroup2", target, "cgroup2", f, "", sub));
      } else {
        std::string opts;
        for (const auto& c : hm.controllers) {
          if (!opts.empty()) opts.push_back(',');
          opts += c;
        }
        ECSD_TRY(do_mount("cgroup", target, "cgroup", f, opts, sub));
      }
    } else {
      std::string src = hm.dir + "/" + plan.cgroup_path;
      struct stat st;
      if (::stat(src.c_str(), &st) != 0) src = hm.dir;  // a hierarchy we do not manage
      ECSD_TRY(do_mount(src.c_str(), target, nullptr, MS_BIND | MS_REC, "", sub));
      auto again = open_in_root(rootfd, sub, O_PATH | O_DIRECTORY);
      if (!again) return fail(again.error());
      ECSD_TRY(remount_bind(fd_path(again->get()), f & kRemountable, sub));
    }
    if (!hm.unified) {
      for (const auto& c : hm.controllers) {
        if (c == name || c.find('=') != std::string::npos) continue;
        if (::symlinkat(name.c_str(), top->get(), c.c_str()) != 0 && errno != EEXIST)
          return fail_sys(errno, "symlink", m.destination + "/" + c);
      }
    }
  }
  if (flags & MS_RDONLY) {
    if (::mount(nullptr, fd_path(top->get()).c_str(), nullptr, MS_REMOUNT | MS_RDONLY | tmpfs_flags, "mode=755") != 0)
      return fail_sys(errno, "remount read-only", m.destination);
  }
  return {};
}

Status mount_one(int rootfd, const PlannedMount& m, const RootfsPlan& plan) {
  if (m.type == "cgroup" || m.type == "cgroup2") return mount_cgroups(rootfd, m, plan);
  Result<UniqueFd> dest = m.type.empty() && !m.source_is_dir ? ensure_file_in_root(rootfd, m.destination)
                                                              : mkdir_all_in_root(rootfd, m.destination);
  if (!dest) return fail(dest.error());
  std::string target = fd_path(dest->get());
  unsigned long flags = m.opts.flags & ~MS_REMOUNT;
  if (m.type.empty()) {
    ECSD_TRY(do_mount(m.source.c_str(), target, nullptr, MS_BIND | (m.opts.recursive ? MS_REC : 0), "", m.destination));
  } else {
    auto st = do_mount(m.source.empty() ? m.type.c_str() : m.source.c_str(), target, m.type.c_str(), flags, m.opts.data,
                       m.destination);
    if (!st) {
      // In a user namespace sysfs and mqueue may not be mountable: bind the host's.
      bool fallback = st.error().code == EPERM && (m.type == "sysfs" || m.type == "mqueue");
      if (!fallback) return st;
      const char* host = m.type == "sysfs" ? "/sys" : "/dev/mqueue";
      ECSD_TRY(do_mount(host, target, nullptr, MS_BIND | MS_REC, "", m.destination));
      PlannedMount again = m;
      again.type.clear();
      auto re = open_in_root(rootfd, m.destination, O_PATH);
      if (!re) return fail(re.error());
      ECSD_TRY(remount_bind(fd_path(re->get()), flags & kRemountable, m.destination));
    }
  }
  if ((m.type.empty() && (flags & kRemountable)) || m.opts.propagation) {
    auto re = open_in_root(rootfd, m.destination, O_PATH);
    if (!re) return fail(re.error());
    std::string t = fd_path(re->get());
    if (m.type.empty() && (flags & kRemountable)) ECSD_TRY(remount_bind(t, flags & kRemountable, m.destination));
    if (m.opts.propagation && ::mount(nullptr, t.c_str(), nullptr, m.opts.propagation, nullptr) != 0)
      return fail_sys(errno, "set propagation of", m.destination);
  }
  return {};
}

}  // namespace

Result<std::string> sysctl_path(std::string_view key) {
  if (key.empty()) return fail_invalid("linux.sysctl: empty key");
  std::string p = "/proc/sys/";
  for (char c : key) p.push_back(c == '.' ? '/' : c);
  if (key.find("..") != std::string_view::npos || key.find('/') != std::string_view::npos || key.front() == '.' ||
      key.back() == '.')
    return fail_invalid("linux.sysctl: invalid key \"" + std::string(key) + "\"");
  return p;
}

Result<RootfsPlan> plan_rootfs(const Spec& spec, const std::string& bundle) {
  RootfsPlan plan;
  plan.rootfs = join_bundle(bundle, spec.root.path);
  struct stat st;
  if (::stat(plan.rootfs.c_str(), &st) != 0)
    return fail(Error::sys(errno, "stat", plan.rootfs).context("root.path"));
  if (!S_ISDIR(st.st_mode)) return fail_invalid("root.path: " + plan.rootfs + " is not a directory");
  auto prop = parse_propagation(spec.linux.rootfs_propagation);
  if (!prop) return fail(prop.error());
  plan.propagation = *prop;
  if (*prop & MS_SHARED) {
    plan.apply_shared_after_pivot = true;
    plan.propagation = MS_REC | MS_PRIVATE;
  }
  plan.readonly = spec.root.readonly;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    std::string where = "mounts[" + std::to_string(i) + "]";
    if (m.destination.empty() || m.destination[0] != '/')
      return fail_invalid(where + ".destination: must be an absolute path, got \"" + m.destination + "\"");
    auto opts = parse_mount_options(m.options);
    if (!opts) return fail(opts.error().with_context(where + ".options"));
    PlannedMount pm;
    pm.destination = clean_path(m.destination);
    pm.opts = std::move(*opts);
    if (is_bind(m, pm.opts)) {
      if (m.source.empty()) return fail_invalid(where + ".source: a bind mount needs a source");
      pm.source = join_bundle(bundle, m.source);
      struct stat sst;
      if (::stat(pm.source.c_str(), &sst) != 0)
        return fail(Error::sys(errno, "stat", pm.source).context(where + ".source"));
      pm.source_is_dir = S_ISDIR(sst.st_mode);
      pm.opts.bind = true;
    } else {
      if (m.type.empty()) return fail_invalid(where + ".type: missing (and not a bind mount)");
      pm.type = m.type;
      pm.source = m.source;
    }
    plan.mounts.push_back(std::move(pm));
  }
  auto devs = plan_devices(spec.linux.devices);
  if (!devs) return fail(devs.error());
  plan.devices = std::move(*devs);
  for (const auto& p : spec.linux.masked_paths) {
    if (p.empty() || p[0] != '/') return fail_invalid("linux.maskedPaths: \"" + p + "\" is not absolute");
    plan.masked_paths.push_back(clean_path(p));
  }
  for (const auto& p : spec.linux.readonly_paths) {
    if (p.empty() || p[0] != '/') return fail_invalid("linux.readonlyPaths: \"" + p + "\" is not absolute");
    plan.readonly_paths.push_back(clean_path(p));
  }
  for (const auto& [k, v] : spec.linux.sysctl) {
    auto p = sysctl_path(k);
    if (!p) return fail(p.error());
    plan.sysctls.emplace_back(*p, v);
  }
  return plan;
}

Status setup_rootfs(const RootfsPlan& plan) {
  if (::mount(nullptr, "/", nullptr, plan.propagation, nullptr) != 0)
    return fail_sys(errno, "set propagation of", "/");
  if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_sys(errno, "bind mount rootfs", plan.rootfs);
  UniqueFd root(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys(errno, "open", plan.rootfs);
  bool dev_mounted = false;
  for (const auto& m : plan.mounts) {
    auto st = mount_one(root.get(), m, plan);
    if (!st) return fail(st.error().with_context("mounts " + m.destination));
    if (m.destination == "/dev") dev_mounted = true;
  }
  (void)dev_mounted;
  ECSD_TRY(create_devices(root.get(), plan.devices, plan.userns));
  ECSD_TRY(create_dev_symlinks(root.get()));
  // pivot_root(".", "."): the old root ends up stacked on ".", detach it.
  UniqueFd dirfd(::open(plan.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return fail_sys(errno, "open", plan.rootfs);
  if (::fchdir(dirfd.get()) != 0) return fail_sys(errno, "chdir", plan.rootfs);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return fail_sys(errno, "pivot_root", plan.rootfs);
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return fail_sys(errno, "make old root rslave", plan.rootfs);
  if (::umount2(".", MNT_DETACH) != 0) return fail_sys(errno, "detach old root", plan.rootfs);
  if (::chdir("/") != 0) return fail_sys(errno, "chdir", "/");
  return {};
}

Status finish_rootfs(const RootfsPlan& plan) {
  for (const auto& [path, value] : plan.sysctls) {
    auto st = write_existing_file(path, value);
    if (!st) return fail(st.error().with_context("linux.sysctl"));
  }
  for (const auto& p : plan.masked_paths) {
    UniqueFd fd(::open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) continue;
      return fail_sys(errno, "open masked path", p);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail_sys(errno, "stat masked path", p);
    std::string target = fd_path(fd.get());
    if (S_ISDIR(st.st_mode)) {
      if (::mount("tmpfs", target.c_str(), "tmpfs", MS_RDONLY, "size=0") != 0)
        return fail_sys(errno, "mask (tmpfs) path", p);
    } else if (::mount("/dev/null", target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return fail_sys(errno, "mask (bind /dev/null) path", p);
    }
  }
  for (const auto& p : plan.readonly_paths) {
    UniqueFd fd(::open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) continue;
      return fail_sys(errno, "open readonly path", p);
    }
    std::string target = fd_path(fd.get());
    if (::mount(target.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return fail_sys(errno, "bind readonly path", p);
    ECSD_TRY(remount_bind(p, MS_RDONLY, p));
  }
  if (plan.readonly) ECSD_TRY(remount_bind("/", MS_RDONLY, "/ (root.readonly)"));
  if (plan.apply_shared_after_pivot && ::mount(nullptr, "/", nullptr, MS_SHARED | MS_REC, nullptr) != 0)
    return fail_sys(errno, "make shared", "/");
  return {};
}

}  // namespace ecsd::runtime
