// /dev inside the container: device nodes (spec + the default ones) and the
// standard symlinks.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

// null, zero, full, random, urandom, tty: char devices, 0666, root-owned.
std::vector<Device> default_devices();
// spec devices first, then every default one whose path the spec did not
// list. Errors name linux.devices[i] (bad type, relative path, path outside /dev is fine).
Result<std::vector<Device>> plan_devices(const std::vector<Device>& spec_devices);

// Creates the nodes under rootfd (mknod; in a user namespace, where mknod is
// not permitted, a bind mount of the host node onto an empty file).
Status create_devices(int rootfd, const std::vector<Device>& devices, bool bind_instead);
// /dev/fd, stdin, stdout, stderr, core, and ptmx (-> pts/ptmx). Existing
// entries are kept.
Status create_dev_symlinks(int rootfd);

}  // namespace ecsd::runtime
