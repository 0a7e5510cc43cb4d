#include "runtime/image/flatten.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <utility>

#include "common/file_util.h"
#include "common/unique_fd.h"
#include "runtime/image/chain_id.h"
#include "runtime/image/fs_tree.h"
#include "runtime/image/image_config.h"
#include "runtime/image/tar_path.h"

namespace ecsd::image {

namespace {

constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

bool is_opaque(int dir_fd) {
  char v[2] = {};
  ssize_t n = ::fgetxattr(dir_fd, kOpaqueXattr, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

Status copy_xattrs(int src, int dst, const std::string& path) {
  ssize_t len = ::flistxattr(src, nullptr, 0);
  if (len <= 0) return {};
  std::string names(static_cast<size_t>(len), '\0');
  len = ::flistxattr(src, names.data(), names.size());
  if (len < 0) return fail_sys(errno, "list xattrs of", path);
  names.resize(static_cast<size_t>(len));
  std::string value;
  for (size_t i = 0; i < names.size();) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (is_overlay_private_xattr(name)) continue;
    ssize_t vl = ::fgetxattr(src, name.c_str(), nullptr, 0);
    if (vl < 0) continue;
    value.resize(static_cast<size_t>(vl));
    vl = ::fgetxattr(src, name.c_str(), value.data(), value.size());
    if (vl < 0) continue;
    if (::fsetxattr(dst, name.c_str(), value.data(), static_cast<size_t>(vl), 0) != 0) {
      return fail_sys(errno, "set xattr " + name + " on", path);
    }
  }
  return {};
}

Status copy_data(int src, int dst, off_t size, const std::string& path) {
  off_t left = size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) break;
    if (n < 0) return fail_sys(errno, "copy", path);
    if (n == 0) return fail_invalid("copy " + path + ": file shrank while copying");
    left -= n;
  }
  char buf[1 << 16];
  while (left > 0) {
    ssize_t n = ::read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_sys(n < 0 ? errno : EIO, "read", path);
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(dst, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail_sys(errno, "write", path);
      off += w;
    }
    left -= n;
  }
  return {};
}

class Merger {
 public:
  explicit Merger(int dest_root) : dest_root_(dest_root) {}

  Status layer(int src_root) {
    links_.clear();
    if (is_opaque(src_root)) ECSD_TRY(clear_dir(dest_root_, "/"));
    return dir(src_root, dest_root_, "");
  }

 private:
  Status dir(int src, int dst, const std::string& rel) {
    int dup = ::fcntl(src, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return fail_sys(errno, "dup", rel);
    DIR* d = ::fdopendir(dup);
    if (!d) {
      ::close(dup);
      return fail_sys(errno, "read directory", rel);
    }
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    for (const auto& n : names) ECSD_TRY(entry(src, dst, n, rel.empty() ? n : rel + "/" + n));
    return {};
  }

  Status entry(int src, int dst, const std::string& name, const std::string& rel) {
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys(errno, "stat", rel);
    struct stat dt;
    bool have = ::fstatat(dst, name.c_str(), &dt, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {  // whiteout
      if (have) ECSD_TRY(remove_tree_at(dst, name));
      return {};
    }
    if (S_ISDIR(st.st_mode)) {
      if (have && !S_ISDIR(dt.st_mode)) {
        ECSD_TRY(remove_tree_at(dst, name));
        have = false;
      }
      if (!have && ::mkdirat(dst, name.c_str(), 0700) != 0) return fail_sys(errno, "mkdir", rel);
      UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s) return fail_sys(errno, "open", rel);
      UniqueFd t(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!t) return fail_sys(errno, "open", rel);
      if (have && is_opaque(s.get())) ECSD_TRY(clear_dir(t.get(), rel));
      if (::fchown(t.get(), st.st_uid, st.st_gid) != 0) return fail_sys(errno, "chown", rel);
      if (::fchmod(t.get(), st.st_mode & 07777) != 0) return fail_sys(errno, "chmod", rel);
      ECSD_TRY(copy_xattrs(s.get(), t.get(), rel));
      ECSD_TRY(dir(s.get(), t.get(), rel));
      timespec ts[2] = {st.st_atim, st.st_mtim};
      if (::futimens(t.get(), ts) != 0) return fail_sys(errno, "set times on", rel);
      return {};
    }
    if (have) ECSD_TRY(remove_tree_at(dst, name));
    timespec ts[2] = {st.st_atim, st.st_mtim};
    if (S_ISREG(st.st_mode)) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (st.st_nlink > 1) {
        if (auto it = links_.find(key); it != links_.end()) {
          if (::linkat(dest_root_, it->second.c_str(), dst, name.c_str(), 0) != 0) {
            return fail_sys(errno, "hardlink " + rel + " to", it->second);
          }
          return {};
        }
      }
      UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!s) return fail_sys(errno, "open", rel);
      UniqueFd t(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!t) return fail_sys(errno, "create", rel);
      ECSD_TRY(copy_data(s.get(), t.get(), st.st_size, rel));
      if (::fchown(t.get(), st.st_uid, st.st_gid) != 0) return fail_sys(errno, "chown", rel);
      if (::fchmod(t.get(), st.st_mode & 07777) != 0) return fail_sys(errno, "chmod", rel);
      ECSD_TRY(copy_xattrs(s.get(), t.get(), rel));
      if (::futimens(t.get(), ts) != 0) return fail_sys(errno, "set times on", rel);
      if (st.st_nlink > 1) links_[key] = rel;
      return {};
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
      if (n < 0) return fail_sys(errno, "readlink", rel);
      target.resize(static_cast<size_t>(n));
      if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) return fail_sys(errno, "symlink", rel);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      if (::mknodat(dst, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
        return fail_sys(errno, "mknod", rel);
      }
    } else {
      return {};  // sockets
    }
    if (::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_sys(errno, "chown", rel);
    }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) != 0) {
      return fail_sys(errno, "chmod", rel);
    }
    if (::utimensat(dst, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys(errno, "set times on", rel);
    return {};
  }

  int dest_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Status flatten_layers(const std::vector<std::string>& diff_dirs, const std::string& dest) {
  if (::mkdir(dest.c_str(), 0755) != 0 && errno != EEXIST) return fail_sys(errno, "mkdir", dest);
  UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return fail_sys(errno, "open", dest);
  {
    UniqueFd probe(::fcntl(root.get(), F_DUPFD_CLOEXEC, 0));
    DIR* d = ::fdopendir(probe.release());
    if (!d) return fail_sys(errno, "read directory", dest);
    bool empty = true;
    while (dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n != "." && n != "..") empty = false;
    }
    ::closedir(d);
    if (!empty) return fail_invalid("flatten into " + dest + ": directory is not empty");
  }
  Merger m(root.get());
  for (const auto& dir : diff_dirs) {
    UniqueFd src(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src) return fail_sys(errno, "open layer", dir);
    auto st = m.layer(src.get());
    if (!st) return fail(st.error().with_context("applying layer " + dir + " onto " + dest));
  }
  return {};
}

Status flatten_image(const LayerStore& store, std::string_view config_json, const std::string& dest) {
  auto cfg = parse_image_config(config_json);
  if (!cfg) return std::unexpected(cfg.error());
  auto chains = chain_ids(cfg->diff_ids);
  if (!chains) return std::unexpected(chains.error());
  std::vector<std::string> dirs;
  for (size_t i = 0; i < chains->size(); ++i) {
    if (!store.has((*chains)[i])) {
      return fail_invalid("layer " + std::to_string(i + 1) + " of " + std::to_string(chains->size()) +
                          " (diff_id " + cfg->diff_ids[i] + ") is not unpacked; pull the image first");
    }
    dirs.push_back(store.diff_path((*chains)[i]));
  }
  return flatten_layers(dirs, dest);
}

}  // namespace ecsd::image
