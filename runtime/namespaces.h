// linux.namespaces -> clone flags to create and namespace files to join.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

// "pid" -> CLONE_NEWPID, "network"/"net" -> CLONE_NEWNET, ... ; 0 when unknown.
int namespace_flag(std::string_view type);
// CLONE_NEWNET -> "net" (the name under /proc/<pid>/ns/).
std::string_view namespace_proc_name(int flag);

struct NamespaceJoin {
  int flag = 0;
  std::string path;
  UniqueFd fd;  // opened in the parent before clone
};

struct NamespacePlan {
  int create_flags = 0;  // CLONE_NEW* to create (cgroup included)
  std::vector<NamespaceJoin> joins;  // user first, mount last
  bool new_user() const;
  bool joins_user() const;
  const NamespaceJoin* join_for(int flag) const;
};

// Pure part: flags and join list (no fds). Errors name linux.namespaces[i].
Result<NamespacePlan> plan_namespaces(const std::vector<Namespace>& namespaces);
// Opens every join path (O_RDONLY|O_CLOEXEC); errors name the path.
Status open_namespace_files(NamespacePlan& plan);

}  // namespace ecsd::runtime
