#include "runtime/defaults.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"

namespace ecsd::runtime {

std::vector<Mount> docker_default_mounts() {
  return {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
  };
}

std::vector<std::string> docker_masked_paths() {
  return {"/proc/asound",       "/proc/acpi",       "/proc/interrupts", "/proc/kcore",
          "/proc/keys",         "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug",  "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap"};
}

std::vector<std::string> docker_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

std::vector<Device> docker_default_devices() {
  auto dev = [](const char* path, int64_t major, int64_t minor) {
    Device d;
    d.type = "c";
    d.path = path;
    d.major = major;
    d.minor = minor;
    d.file_mode = 0666;
    d.uid = 0;
    d.gid = 0;
    return d;
  };
  return {dev("/dev/null", 1, 3),    dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7),
          dev("/dev/random", 1, 8),  dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0)};
}

std::vector<DeviceCgroupRule> docker_default_device_rules() {
  auto rule = [](bool allow, const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 const char* access) {
    DeviceCgroupRule r;
    r.allow = allow;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
  };
  std::vector<DeviceCgroupRule> rules = {
      rule(false, "a", std::nullopt, std::nullopt, "rwm"),
      rule(true, "c", std::nullopt, std::nullopt, "m"),  // mknod of any char device
      rule(true, "b", std::nullopt, std::nullopt, "m"),  // mknod of any block device
  };
  for (const auto& d : docker_default_devices()) rules.push_back(rule(true, "c", d.major, d.minor, "rwm"));
  rules.push_back(rule(true, "c", 136, std::nullopt, "rwm"));  // /dev/pts/*
  rules.push_back(rule(true, "c", 5, 2, "rwm"));               // /dev/ptmx
  return rules;
}

Result<Spec> docker_default_spec(std::optional<KernelVersion> kernel) {
  Spec s;
  s.oci_version = "1.1.0";
  s.process.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  s.process.cwd = "/";
  Capabilities caps;
  caps.bounding = docker_default_capabilities();
  caps.effective = caps.bounding;
  caps.permitted = caps.bounding;
  s.process.capabilities = caps;
  s.process.no_new_privileges = false;
  s.mounts = docker_default_mounts();
  for (const char* ns : {"pid", "ipc", "uts", "mount", "network", "cgroup"}) s.linux.namespaces.push_back({ns, ""});
  s.linux.masked_paths = docker_masked_paths();
  s.linux.readonly_paths = docker_readonly_paths();
  s.linux.devices = docker_default_devices();
  Resources res;
  res.devices = docker_default_device_rules();
  s.linux.resources = std::move(res);

  auto mask = caps_to_mask(caps.bounding);
  if (!mask) return fail(mask.error());
  auto seccomp = docker_default_seccomp(*mask, {}, kernel);
  if (!seccomp) return fail(seccomp.error().with_context("default seccomp profile"));
  s.linux.seccomp = std::move(*seccomp);
  return s;
}

void make_privileged(Spec& spec, CapMask host_bounding, const std::vector<Device>& host_devices) {
  Capabilities caps;
  if (spec.process.capabilities) caps = *spec.process.capabilities;
  caps.bounding = mask_to_caps(host_bounding);
  caps.effective = caps.bounding;
  caps.permitted = caps.bounding;
  spec.process.capabilities = std::move(caps);
  spec.linux.seccomp.reset();
  spec.linux.masked_paths.clear();
  spec.linux.readonly_paths.clear();
  for (auto& m : spec.mounts) {
    if (m.type != "sysfs" && m.type != "cgroup" && m.type != "cgroup2") continue;
    std::erase(m.options, std::string("ro"));
    if (std::find(m.options.begin(), m.options.end(), "rw") == m.options.end()) m.options.push_back("rw");
  }
  spec.linux.devices = host_devices;
  if (!spec.linux.resources) spec.linux.resources.emplace();
  DeviceCgroupRule all;
  all.allow = true;
  all.type = "a";
  all.access = "rwm";
  spec.linux.resources->devices = {all};
}

namespace {

Status walk_devices(int dirfd, const std::string& host_dir, const std::string& container_dir, bool top,
                    std::vector<Device>& out) {
  int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return fail_sys(errno, "dup directory fd of", host_dir);
  DIR* d = fdopendir(dup_fd);
  if (d == nullptr) {
    int e = errno;
    close(dup_fd);
    return fail_sys(e, "opendir", host_dir);
  }
  struct Closer {
    DIR* d;
    ~Closer() { closedir(d); }
  } closer{d};
  while (true) {
    errno = 0;
    dirent* ent = readdir(d);
    if (ent == nullptr) {
      if (errno != 0) return fail_sys(errno, "readdir", host_dir);
      break;
    }
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    if (top && (name == "pts" || name == "shm" || name == "mqueue" || name == "fd" || name == "console" ||
                name == ".lxc" || name == ".lxd-mounts" || name == ".udev"))
      continue;
    struct stat st{};
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;  // raced with removal
      return fail_sys(errno, "stat", host_dir + "/" + name);
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) {
        if (errno == ENOENT) continue;
        return fail_sys(errno, "open", host_dir + "/" + name);
      }
      ECSD_TRY(walk_devices(sub.get(), host_dir + "/" + name, container_dir + "/" + name, false, out));
      continue;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    Device dev;
    dev.type = S_ISCHR(st.st_mode) ? "c" : "b";
    dev.path = container_dir + "/" + name;
    dev.major = major(st.st_rdev);
    dev.minor = minor(st.st_rdev);
    dev.file_mode = st.st_mode & 07777;
    dev.uid = st.st_uid;
    dev.gid = st.st_gid;
    out.push_back(std::move(dev));
  }
  return {};
}

}  // namespace

Result<std::vector<Device>> list_host_devices(const std::string& dev_dir) {
  UniqueFd fd(open(dev_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_sys(errno, "open", dev_dir);
  std::vector<Device> out;
  ECSD_TRY(walk_devices(fd.get(), dev_dir, "/dev", true, out));
  std::sort(out.begin(), out.end(), [](const Device& a, const Device& b) { return a.path < b.path; });
  return out;
}

}  // namespace ecsd::runtime
