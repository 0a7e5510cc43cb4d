#include "runtime/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "common/unique_fd.h"
#include "runtime/image/fs_tree.h"
#include "runtime/image/layer_stream.h"
#include "runtime/image/tar_path.h"

namespace ecsd::image {

namespace {

constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

const char* entry_path(archive_entry* e) {
  const char* p = archive_entry_pathname(e);
  return p ? p : archive_entry_pathname_utf8(e);
}
const char* entry_hardlink(archive_entry* e) {
  const char* p = archive_entry_hardlink(e);
  return p ? p : archive_entry_hardlink_utf8(e);
}
const char* entry_symlink(archive_entry* e) {
  const char* p = archive_entry_symlink(e);
  return p ? p : archive_entry_symlink_utf8(e);
}

struct Times {
  timespec ts[2];
};

Times entry_times(archive_entry* e) {
  Times t;
  t.ts[1].tv_sec = archive_entry_mtime(e);
  t.ts[1].tv_nsec = archive_entry_mtime_nsec(e);
  if (!archive_entry_mtime_is_set(e)) t.ts[1].tv_nsec = UTIME_OMIT;
  if (archive_entry_atime_is_set(e)) {
    t.ts[0].tv_sec = archive_entry_atime(e);
    t.ts[0].tv_nsec = archive_entry_atime_nsec(e);
  } else {
    t.ts[0] = t.ts[1];
  }
  return t;
}

// The process umask from /proc/self/status (reading it with umask(2) would
// change it for every thread for a moment); -1 if unknown.
int current_umask() {
  std::FILE* f = std::fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[256];
  int mask = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "Umask:", 6) == 0) {
      mask = static_cast<int>(std::strtol(line + 6, nullptr, 8));
      break;
    }
  }
  std::fclose(f);
  return mask;
}

class Unpacker {
 public:
  Unpacker(int root_fd, LayerStream& stream)
      : root_(root_fd), stream_(stream), umask_(current_umask()), euid_(::geteuid()), egid_(::getegid()) {}

  Status run(std::uint64_t& entries) {
    archive* a = stream_.tar();
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return fail(stream_.tar_error("reading layer tar"));
      const char* name = entry_path(e);
      if (!name) return fail_invalid("layer entry with an unreadable name");
      auto st = entry(a, e, name);
      if (!st) {
        // Name the entry once (path checks already quote it).
        if (st.error().message.find("'" + std::string(name) + "'") != std::string::npos) return fail(st.error());
        return fail(st.error().with_context("layer entry '" + std::string(name) + "'"));
      }
      ++entries;
    }
    return fix_dir_times();
  }

 private:
  // The directory fd for a cleaned parent path, cached: tars list siblings together.
  Result<int> parent_dir(const std::string& parent) {
    if (cached_fd_ && cached_parent_ == parent) return cached_fd_.get();
    auto fd = open_dir_beneath(root_, parent, true);
    if (!fd) return std::unexpected(fd.error());
    cached_fd_ = std::move(*fd);
    cached_parent_ = parent;
    cached_parent_stat_ok_ = false;
    return cached_fd_.get();
  }
  void forget_cache() {
    cached_fd_.reset();
    cached_parent_.clear();
    cached_parent_stat_ok_ = false;
  }
  // The owner a new file in the cached parent gets (BSD group semantics for
  // setgid directories), or false if unknown.
  bool new_file_owner(uid_t& uid, gid_t& gid) {
    if (!cached_fd_) return false;
    if (!cached_parent_stat_ok_) {
      if (::fstat(cached_fd_.get(), &cached_parent_stat_) != 0) return false;
      cached_parent_stat_ok_ = true;
    }
    uid = euid_;
    gid = (cached_parent_stat_.st_mode & S_ISGID) ? cached_parent_stat_.st_gid : egid_;
    return true;
  }

  // Removes whatever is at name (a whole tree for a directory) unless keep_dir
  // and it is a directory. Returns true if a directory was kept.
  Result<bool> clear_slot(int dir, const std::string& name, const std::string& path,
                          bool keep_dir) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return false;
      return fail_sys(errno, "stat", path);
    }
    if (S_ISDIR(st.st_mode)) {
      if (keep_dir) return true;
      forget_cache();  // the cached fd may be inside the tree going away
      ECSD_TRY(remove_tree_at(dir, name));
      return false;
    }
    if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) return fail_sys(errno, "unlink", path);
    return false;
  }

  Status set_xattrs(archive_entry* e, int fd, int dir, const std::string& name,
                    const std::string& path, bool is_link) {
    if (archive_entry_xattr_reset(e) == 0) return {};
    const char* xname = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
      if (!xname || is_overlay_private_xattr(xname)) continue;
      int r;
      if (is_link) {
        // No fd can be opened on a symlink for fsetxattr: name it through
        // the parent's fd so no path component is resolved again.
        std::string via = "/proc/self/fd/" + std::to_string(dir) + "/" + name;
        r = ::lsetxattr(via.c_str(), xname, value, size, 0);
      } else {
        r = ::fsetxattr(fd, xname, value, size, 0);
      }
      if (r != 0) return fail_sys(errno, std::string("set xattr ") + xname + " on", path);
    }
    return {};
  }

  // Owner, then mode (chown clears setuid/setgid), then xattrs.
  Status set_owner_mode_fd(archive_entry* e, int fd, const std::string& path) {
    if (::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)),
                 static_cast<gid_t>(archive_entry_gid(e))) != 0) {
      return fail_sys(errno, "chown", path);
    }
    if (::fchmod(fd, archive_entry_perm(e) & 07777) != 0) return fail_sys(errno, "chmod", path);
    return {};
  }

  Status entry(archive* a, archive_entry* e, const char* raw_name) {
    auto clean = clean_entry_path(raw_name);
    if (!clean) return std::unexpected(clean.error());
    if (clean->empty()) return {};  // the root itself: kept as created (as Docker does)
    auto [parent, base] = split_parent(*clean);

    auto wh = classify_whiteout(base);
    if (!wh) return std::unexpected(wh.error());
    if (wh->kind == WhiteoutKind::kMeta) return {};
    auto dir = parent_dir(parent);
    if (!dir) return std::unexpected(dir.error());
    if (wh->kind == WhiteoutKind::kOpaque) {
      if (::fsetxattr(*dir, kOpaqueXattr, "y", 1, 0) != 0) {
        return fail_sys(errno, "set trusted.overlay.opaque on", parent.empty() ? "/" : parent);
      }
      return {};
    }
    if (wh->kind == WhiteoutKind::kFile) {
      std::string target_path = parent.empty() ? wh->target : parent + "/" + wh->target;
      auto kept = clear_slot(*dir, wh->target, target_path, false);
      if (!kept) return std::unexpected(kept.error());
      dir = parent_dir(parent);  // clear_slot may have dropped the cache
      if (!dir) return std::unexpected(dir.error());
      if (::mknodat(*dir, wh->target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        return fail_sys(errno, "make whiteout", target_path);
      }
      return {};
    }

    const std::string& path = *clean;
    if (const char* link = entry_hardlink(e)) {
      return hardlink(path, base, link);
    }

    auto type = archive_entry_filetype(e);
    Times times = entry_times(e);
    switch (type) {
      case AE_IFDIR: {
        auto kept = clear_slot(*dir, base, path, true);
        if (!kept) return std::unexpected(kept.error());
        dir = parent_dir(parent);
        if (!dir) return std::unexpected(dir.error());
        if (!*kept && ::mkdirat(*dir, base.c_str(), 0700) != 0) return fail_sys(errno, "mkdir", path);
        UniqueFd fd(::openat(*dir, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return fail_sys(errno, "open", path);
        ECSD_TRY(set_owner_mode_fd(e, fd.get(), path));
        ECSD_TRY(set_xattrs(e, fd.get(), *dir, base, path, false));
        dir_times_[path] = times;
        return {};
      }
      case AE_IFREG: {
        auto kept = clear_slot(*dir, base, path, false);
        if (!kept) return std::unexpected(kept.error());
        dir = parent_dir(parent);
        if (!dir) return std::unexpected(dir.error());
        // Created with its final permission bits when the umask leaves them
        // alone and nothing special is set; owner changed only when the
        // kernel would not already give it (root unpacking root's files is
        // the common case): two syscalls less per file.
        mode_t perm = archive_entry_perm(e) & 07777;
        bool mode_ok = umask_ >= 0 && (perm & 07000) == 0 && (perm & static_cast<mode_t>(umask_)) == 0;
        UniqueFd fd(::openat(*dir, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             mode_ok ? perm : 0600));
        if (!fd) return fail_sys(errno, "create", path);
        ECSD_TRY(write_data(a, fd.get(), path, archive_entry_size(e)));
        uid_t nuid;
        gid_t ngid;
        bool owner_ok = new_file_owner(nuid, ngid) && nuid == static_cast<uid_t>(archive_entry_uid(e)) &&
                        ngid == static_cast<gid_t>(archive_entry_gid(e));
        if (!owner_ok && ::fchown(fd.get(), static_cast<uid_t>(archive_entry_uid(e)),
                                  static_cast<gid_t>(archive_entry_gid(e))) != 0) {
          return fail_sys(errno, "chown", path);
        }
        // chown clears setuid/setgid, so the mode is set after it.
        if ((!mode_ok || !owner_ok) && ::fchmod(fd.get(), perm) != 0) return fail_sys(errno, "chmod", path);
        ECSD_TRY(set_xattrs(e, fd.get(), *dir, base, path, false));
        if (::futimens(fd.get(), times.ts) != 0) return fail_sys(errno, "set times on", path);
        return {};
      }
      case AE_IFLNK: {
        const char* target = entry_symlink(e);
        if (!target) return fail_invalid("symlink without a target");
        auto kept = clear_slot(*dir, base, path, false);
        if (!kept) return std::unexpected(kept.error());
        dir = parent_dir(parent);
        if (!dir) return std::unexpected(dir.error());
        if (::symlinkat(target, *dir, base.c_str()) != 0) return fail_sys(errno, "symlink", path);
        if (::fchownat(*dir, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                       static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0) {
          return fail_sys(errno, "chown", path);
        }
        ECSD_TRY(set_xattrs(e, -1, *dir, base, path, true));
        if (::utimensat(*dir, base.c_str(), times.ts, AT_SYMLINK_NOFOLLOW) != 0) {
          return fail_sys(errno, "set times on", path);
        }
        return {};
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        auto kept = clear_slot(*dir, base, path, false);
        if (!kept) return std::unexpected(kept.error());
        dir = parent_dir(parent);
        if (!dir) return std::unexpected(dir.error());
        mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
        dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(*dir, base.c_str(), kind | 0600, dev) != 0) return fail_sys(errno, "mknod", path);
        // Never open a device node: name it through the parent fd (it cannot
        // be a symlink, it was just made).
        if (::fchownat(*dir, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                       static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0) {
          return fail_sys(errno, "chown", path);
        }
        if (::fchmodat(*dir, base.c_str(), archive_entry_perm(e) & 07777, 0) != 0) {
          return fail_sys(errno, "chmod", path);
        }
        if (archive_entry_xattr_count(e) > 0) {
          ECSD_TRY(set_xattrs(e, -1, *dir, base, path, true));
        }
        if (::utimensat(*dir, base.c_str(), times.ts, AT_SYMLINK_NOFOLLOW) != 0) {
          return fail_sys(errno, "set times on", path);
        }
        return {};
      }
      case AE_IFSOCK:
        return {};  // sockets are not meaningful in an image; Docker skips them too
      default:
        return fail_invalid("unsupported tar entry type " + std::to_string(type));
    }
  }

  Status hardlink(const std::string& path, const std::string& base, const char* link) {
    auto target = clean_entry_path(link);
    if (!target) {
      return fail_invalid("hardlink target '" + std::string(link) + "' escapes the layer root");
    }
    if (target->empty()) return fail_invalid("hardlink to the layer root");
    if (*target == path) return {};  // a link to itself: nothing to do
    auto [tparent, tbase] = split_parent(*target);
    auto tdir = open_dir_beneath(root_, tparent, false);
    if (!tdir) {
      return fail_invalid("hardlink target '" + std::string(link) + "' is not in this layer: " +
                          tdir.error().message);
    }
    struct stat tst;
    if (::fstatat(tdir->get(), tbase.c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_invalid("hardlink target '" + std::string(link) + "' is not in this layer");
    }
    if (S_ISDIR(tst.st_mode)) return fail_invalid("hardlink to directory '" + std::string(link) + "'");
    auto [parent, b] = split_parent(path);
    auto dir = parent_dir(parent);
    if (!dir) return std::unexpected(dir.error());
    auto kept = clear_slot(*dir, base, path, false);
    if (!kept) return std::unexpected(kept.error());
    dir = parent_dir(parent);
    if (!dir) return std::unexpected(dir.error());
    if (::linkat(tdir->get(), tbase.c_str(), *dir, base.c_str(), 0) != 0) {
      return fail_sys(errno, "hardlink " + path + " to", *target);
    }
    return {};
  }

  Status write_data(archive* a, int fd, const std::string& path, la_int64_t declared) {
    off_t pos = 0;
    for (;;) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(a, &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return fail(stream_.tar_error("reading data of " + path));
      const char* p = static_cast<const char*>(block);
      off_t at = static_cast<off_t>(offset);
      while (size > 0) {
        ssize_t n = at == pos ? ::write(fd, p, size) : ::pwrite(fd, p, size, at);
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail_sys(errno, "write", path);
        }
        if (at != pos && ::lseek(fd, at + n, SEEK_SET) < 0) return fail_sys(errno, "seek", path);
        p += n;
        size -= static_cast<size_t>(n);
        at += n;
        pos = at;
      }
    }
    if (declared >= 0 && pos != declared) {
      if (::ftruncate(fd, declared) != 0) return fail_sys(errno, "truncate", path);  // sparse tail
    }
    return {};
  }

  Status fix_dir_times() {
    forget_cache();
    // Deepest first is not needed: setting a directory's times does not
    // touch its parent's. Paths that stopped being directories are skipped.
    for (const auto& [path, t] : dir_times_) {
      auto fd = open_dir_beneath(root_, path, false);
      if (!fd) continue;
      if (::futimens(fd->get(), t.ts) != 0) return fail_sys(errno, "set times on", path);
    }
    return {};
  }

  int root_;
  LayerStream& stream_;
  int umask_;
  uid_t euid_;
  gid_t egid_;
  std::string cached_parent_;
  UniqueFd cached_fd_;
  struct stat cached_parent_stat_ {};
  bool cached_parent_stat_ok_ = false;
  std::map<std::string, Times> dir_times_;
};

}  // namespace

Result<LayerUnpackResult> unpack_layer(int fd, const std::string& dest,
                                       const LayerUnpackOptions& opts) {
  UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return fail_sys(errno, "open layer directory", dest);
  auto stream = LayerStream::open(fd, opts.media_type, opts.hash_compressed);
  if (!stream) return std::unexpected(stream.error());
  LayerUnpackResult res;
  Unpacker u(root.get(), **stream);
  ECSD_TRY(u.run(res.entries));
  ECSD_TRY((*stream)->finish());
  res.diff_id = (*stream)->diff_id();
  res.compressed_digest = (*stream)->compressed_digest();
  res.size = (*stream)->size();
  res.compressed_size = (*stream)->compressed_size();
  return res;
}

}  // namespace ecsd::image
