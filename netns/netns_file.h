// Named network namespaces: a new namespace bind-mounted on a file (as
// `ip netns add` does, under a directory of our choosing) so it outlives the
// thread that made it, and its removal.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::netns {

// Creates a fresh network namespace mounted at `path` (the file must not
// exist; its directory is created). Returns an fd of the namespace. The
// calling thread stays in its own namespace.
Result<UniqueFd> create_named_netns(const std::string& path);
// Opens a namespace file made by create_named_netns.
Result<UniqueFd> open_named_netns(const std::string& path);
// True when `path` is a mounted network namespace (not just a file left
// behind, e.g. after a reboot with a persistent run directory).
bool is_named_netns(const std::string& path);
// Unmounts (lazily) and unlinks. A missing file is fine.
Status remove_named_netns(const std::string& path);

}  // namespace ecsd::netns
