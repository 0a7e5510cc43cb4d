#include "runtime/image/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/unique_fd.h"
#include "runtime/image/fs_tree.h"

namespace ecsd::image {

namespace {

// Overlayfs stacks at most this many lower layers (OVL_MAX_STACK).
constexpr std::size_t kMaxLowers = 500;
// fsconfig(FSCONFIG_SET_STRING) copies at most 256 bytes of a value.
constexpr std::size_t kFsconfigMaxValue = 255;

Status check_spec(const OverlaySpec& spec) {
  if (spec.lower_dirs.empty()) return fail_invalid("overlay: no lower directories");
  if (spec.lower_dirs.size() > kMaxLowers) {
    return fail_invalid("overlay: " + std::to_string(spec.lower_dirs.size()) +
                        " layers, more than overlayfs stacks (" + std::to_string(kMaxLowers) + ")");
  }
  if (spec.upper_dir.empty() != spec.work_dir.empty()) {
    return fail_invalid("overlay: upper_dir and work_dir go together");
  }
  if (spec.target.empty()) return fail_invalid("overlay: no target");
  return {};
}

Status fsconfig_string(int fs, const char* key, const std::string& value) {
  if (::fsconfig(fs, FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
    return fail_sys(errno, std::string("overlay option ") + key + "=", value);
  }
  return {};
}

// New mount API, one "lowerdir+" per layer. Returns ENOSYS/EINVAL errors
// unchanged so the caller can fall back.
Status mount_new_api(const OverlaySpec& spec) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return fail_sys(errno, "fsopen overlay");
  std::vector<UniqueFd> keep;  // O_PATH fds backing /proc/self/fd names
  auto name_of = [&](const std::string& p) -> Result<std::string> {
    if (p.size() <= kFsconfigMaxValue) return p;
    UniqueFd fd(::open(p.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_sys(errno, "open", p);
    std::string via = "/proc/self/fd/" + std::to_string(fd.get());
    keep.push_back(std::move(fd));
    return via;
  };
  for (const auto& l : spec.lower_dirs) {
    auto n = name_of(l);
    if (!n) return std::unexpected(n.error());
    ECSD_TRY(fsconfig_string(fs.get(), "lowerdir+", *n));
  }
  if (!spec.upper_dir.empty()) {
    auto u = name_of(spec.upper_dir);
    if (!u) return std::unexpected(u.error());
    ECSD_TRY(fsconfig_string(fs.get(), "upperdir", *u));
    auto w = name_of(spec.work_dir);
    if (!w) return std::unexpected(w.error());
    ECSD_TRY(fsconfig_string(fs.get(), "workdir", *w));
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return fail_sys(errno, "create overlay for", spec.target);
  }
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, spec.upper_dir.empty() ? MOUNT_ATTR_RDONLY : 0));
  if (!mnt) return fail_sys(errno, "fsmount overlay for", spec.target);
  if (::move_mount(mnt.get(), "", AT_FDCWD, spec.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return fail_sys(errno, "move overlay mount to", spec.target);
  }
  return {};
}

Status mount_legacy(const OverlaySpec& spec) {
  auto data = overlay_mount_data(spec);
  std::vector<UniqueFd> keep;
  if (!data) {
    // Too long: name every lower by an O_PATH fd.
    OverlaySpec short_spec = spec;
    for (auto& l : short_spec.lower_dirs) {
      UniqueFd fd(::open(l.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!fd) return fail_sys(errno, "open", l);
      l = "/proc/self/fd/" + std::to_string(fd.get());
      keep.push_back(std::move(fd));
    }
    data = overlay_mount_data(short_spec);
    if (!data) return std::unexpected(data.error());
  }
  unsigned long flags = spec.upper_dir.empty() ? MS_RDONLY : 0;
  if (::mount("overlay", spec.target.c_str(), "overlay", flags, data->c_str()) != 0) {
    return fail_sys(errno, "mount overlay on", spec.target);
  }
  return {};
}

}  // namespace

std::string escape_overlay_path(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == ',' || c == ':' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<std::string> overlay_mount_data(const OverlaySpec& spec, std::size_t max_len) {
  ECSD_TRY(check_spec(spec));
  std::string data = "lowerdir=";
  for (std::size_t i = 0; i < spec.lower_dirs.size(); ++i) {
    if (i) data.push_back(':');
    data.append(escape_overlay_path(spec.lower_dirs[i]));
  }
  if (!spec.upper_dir.empty()) {
    data.append(",upperdir=").append(escape_overlay_path(spec.upper_dir));
    data.append(",workdir=").append(escape_overlay_path(spec.work_dir));
  }
  if (data.size() + 1 > max_len) {
    return fail_invalid("overlay mount options are " + std::to_string(data.size()) +
                        " bytes, over the " + std::to_string(max_len) + "-byte limit");
  }
  return data;
}

Result<OverlayMount> mount_overlay(const OverlaySpec& spec) {
  ECSD_TRY(check_spec(spec));
  auto st = mount_new_api(spec);
  if (!st && (st.error().code == ENOSYS || st.error().code == EINVAL)) {
    auto legacy = mount_legacy(spec);
    if (!legacy) {
      return fail(legacy.error().with_context("new mount API failed (" + st.error().message + "); mount(2)"));
    }
  } else if (!st) {
    return std::unexpected(st.error());
  }
  return OverlayMount(spec.target, "");
}

Result<OverlayMount> mount_image_rootfs(const LayerStore& store, const std::vector<std::string>& chain_ids,
                                        const std::string& container_dir, const std::string& target) {
  OverlaySpec spec;
  for (auto it = chain_ids.rbegin(); it != chain_ids.rend(); ++it) {
    if (!store.has(*it)) return fail_invalid("rootfs: layer " + *it + " is not in the layer store");
    spec.lower_dirs.push_back(store.diff_path(*it));
  }
  // The parent (e.g. <images-root>/containers) is created on first use; the
  // container dir itself must be new.
  if (auto slash = container_dir.find_last_of('/'); slash != std::string::npos && slash > 0)
    ECSD_TRY(make_dirs(container_dir.substr(0, slash), 0700));
  if (::mkdir(container_dir.c_str(), 0700) != 0) return fail_sys(errno, "mkdir", container_dir);
  spec.upper_dir = container_dir + "/upper";
  spec.work_dir = container_dir + "/work";
  spec.target = target;
  auto made = [&]() -> Status {
    if (::mkdir(spec.upper_dir.c_str(), 0755) != 0) return fail_sys(errno, "mkdir", spec.upper_dir);
    if (::mkdir(spec.work_dir.c_str(), 0700) != 0) return fail_sys(errno, "mkdir", spec.work_dir);
    return {};
  }();
  auto m = made ? mount_overlay(spec) : Result<OverlayMount>(std::unexpected(made.error()));
  if (!m) {
    (void)remove_tree(container_dir);
    return std::unexpected(m.error());
  }
  (void)m->disown();
  return OverlayMount(target, container_dir);
}

OverlayMount::OverlayMount(OverlayMount&& o) noexcept
    : target_(std::exchange(o.target_, {})), owned_dir_(std::exchange(o.owned_dir_, {})) {}

OverlayMount& OverlayMount::operator=(OverlayMount&& o) noexcept {
  if (this != &o) {
    (void)release();
    target_ = std::exchange(o.target_, {});
    owned_dir_ = std::exchange(o.owned_dir_, {});
  }
  return *this;
}

OverlayMount::~OverlayMount() { (void)release(); }

std::string OverlayMount::disown() {
  owned_dir_.clear();
  return std::exchange(target_, {});
}

Status OverlayMount::release() {
  Status result;
  if (!target_.empty()) {
    if (::umount2(target_.c_str(), UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT) {
      int e = errno;
      if (::umount2(target_.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL) {
        result = fail_sys(e, "unmount", target_);
      }
    }
    target_.clear();
  }
  if (!owned_dir_.empty()) {
    auto st = remove_tree(owned_dir_);
    if (!st && result) result = st;
    owned_dir_.clear();
  }
  return result;
}

}  // namespace ecsd::image
