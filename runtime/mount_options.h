// OCI mount options ("ro", "nosuid", "rbind", "mode=755", ...) -> mount(2)
// flags, propagation flags and the filesystem data string. Pure logic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_*ATIME, MS_SYNCHRONOUS, ...
  unsigned long propagation = 0;  // MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE, maybe |MS_REC
  bool bind = false;              // "bind" or "rbind"
  bool recursive = false;         // "rbind"
  std::string data;               // everything else, comma-joined: "mode=755,size=65536k"
};

// Unknown options go to `data` (the filesystem judges them). Options we
// refuse outright ("idmap", "ridmap", "tmpcopyup") are errors naming the option.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);

// rootfsPropagation ("", "private", "rprivate", "slave", "rslave", "shared",
// "rshared", "unbindable", "runbindable") -> MS_* flags. "" means MS_REC|MS_PRIVATE.
Result<unsigned long> parse_propagation(std::string_view value);

// Flags that a bind remount must keep because the kernel locks them on the
// source mount (statvfs f_flag ST_* -> MS_*).
unsigned long locked_flags_from_statvfs(unsigned long st_flags);

}  // namespace ecsd::runtime
