#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>

namespace ecsd::runtime {
namespace {

struct NsName {
  std::string_view spec;
  std::string_view proc;
  int flag;
};

constexpr NsName kNamespaces[] = {
    {"user", "user", CLONE_NEWUSER},   {"ipc", "ipc", CLONE_NEWIPC},     {"uts", "uts", CLONE_NEWUTS},
    {"network", "net", CLONE_NEWNET},  {"net", "net", CLONE_NEWNET},     {"pid", "pid", CLONE_NEWPID},
    {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"mount", "mnt", CLONE_NEWNS}, {"mnt", "mnt", CLONE_NEWNS},
};

int order(int flag) {
  // user first (it owns the others), mount last (it hides /proc paths).
  switch (flag) {
    case CLONE_NEWUSER: return 0;
    case CLONE_NEWIPC: return 1;
    case CLONE_NEWUTS: return 2;
    case CLONE_NEWNET: return 3;
    case CLONE_NEWPID: return 4;
    case CLONE_NEWCGROUP: return 5;
    case CLONE_NEWNS: return 6;
  }
  return 7;
}

}  // namespace

int namespace_flag(std::string_view type) {
  for (const auto& n : kNamespaces)
    if (n.spec == type) return n.flag;
  return 0;
}

std::string_view namespace_proc_name(int flag) {
  for (const auto& n : kNamespaces)
    if (n.flag == flag) return n.proc;
  return {};
}

bool NamespacePlan::new_user() const { return create_flags & CLONE_NEWUSER; }
bool NamespacePlan::joins_user() const { return join_for(CLONE_NEWUSER) != nullptr; }
const NamespaceJoin* NamespacePlan::join_for(int flag) const {
  for (const auto& j : joins)
    if (j.flag == flag) return &j;
  return nullptr;
}

Result<NamespacePlan> plan_namespaces(const std::vector<Namespace>& namespaces) {
  NamespacePlan plan;
  int seen = 0;
  for (size_t i = 0; i < namespaces.size(); ++i) {
    const auto& ns = namespaces[i];
    std::string where = "linux.namespaces[" + std::to_string(i) + "]";
    int flag = namespace_flag(ns.type);
    if (flag == 0) return fail_invalid(where + ".type: unknown namespace type \"" + ns.type + "\"");
    if (seen & flag) return fail_invalid(where + ".type: namespace \"" + ns.type + "\" listed twice");
    seen |= flag;
    if (ns.path.empty()) {
      plan.create_flags |= flag;
    } else {
      if (ns.path[0] != '/') return fail_invalid(where + ".path: must be absolute, got \"" + ns.path + "\"");
      NamespaceJoin j;
      j.flag = flag;
      j.path = ns.path;
      plan.joins.push_back(std::move(j));
    }
  }
  std::stable_sort(plan.joins.begin(), plan.joins.end(),
                   [](const NamespaceJoin& a, const NamespaceJoin& b) { return order(a.flag) < order(b.flag); });
  return plan;
}

Status open_namespace_files(NamespacePlan& plan) {
  for (auto& j : plan.joins) {
    j.fd.reset(::open(j.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!j.fd) return fail(Error::sys(errno, "open namespace", j.path).context("linux.namespaces " + std::string(namespace_proc_name(j.flag))));
  }
  return {};
}

}  // namespace ecsd::runtime
