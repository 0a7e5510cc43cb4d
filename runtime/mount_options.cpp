#include "runtime/mount_options.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

namespace ecsd::runtime {
namespace {

struct FlagOpt {
  std::string_view name;
  bool clear;  // true: the option clears the flag ("rw", "suid", ...)
  unsigned long flag;
};

constexpr FlagOpt kFlagOpts[] = {
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},      {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},        {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},   {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},      {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},  {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},  {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},      {"loud", true, MS_SILENT},
};

struct PropOpt {
  std::string_view name;
  unsigned long flags;
};

constexpr PropOpt kPropOpts[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_REC | MS_PRIVATE},
    {"shared", MS_SHARED},         {"rshared", MS_REC | MS_SHARED},
    {"slave", MS_SLAVE},           {"rslave", MS_REC | MS_SLAVE},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_REC | MS_UNBINDABLE},
};

}  // namespace

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& opt : options) {
    if (opt.empty() || opt == "defaults") continue;
    if (opt == "bind") {
      out.bind = true;
      continue;
    }
    if (opt == "rbind") {
      out.bind = true;
      out.recursive = true;
      continue;
    }
    if (opt == "idmap" || opt == "ridmap" || opt == "tmpcopyup")
      return fail_invalid("mount option \"" + opt + "\" is not supported");
    bool matched = false;
    for (const auto& f : kFlagOpts) {
      if (f.name == opt) {
        if (f.clear)
          out.flags &= ~f.flag;
        else
          out.flags |= f.flag;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    for (const auto& p : kPropOpts) {
      if (p.name == opt) {
        out.propagation = p.flags;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (!out.data.empty()) out.data.push_back(',');
    out.data.append(opt);
  }
  return out;
}

Result<unsigned long> parse_propagation(std::string_view value) {
  if (value.empty()) return MS_REC | MS_PRIVATE;
  for (const auto& p : kPropOpts)
    if (p.name == value) return p.flags;
  return fail_invalid("linux.rootfsPropagation: unknown value \"" + std::string(value) + "\"");
}

unsigned long locked_flags_from_statvfs(unsigned long st) {
  unsigned long f = 0;
  if (st & ST_NOSUID) f |= MS_NOSUID;
  if (st & ST_NODEV) f |= MS_NODEV;
  if (st & ST_NOEXEC) f |= MS_NOEXEC;
  if (st & ST_RDONLY) f |= MS_RDONLY;
  if (st & ST_NOATIME) f |= MS_NOATIME;
  if (st & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

}  // namespace ecsd::runtime
