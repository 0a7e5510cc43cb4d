// Hierarchy: which cgroup mounts exist and which controllers each holds.
#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>

#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {

Result<std::vector<std::string>> read_controllers(const std::string& dir) {
  auto text = read_file(dir + "/cgroup.controllers");
  if (!text) return std::unexpected(text.error());
  std::vector<std::string> out;
  std::string_view t = trim(*text);
  while (!t.empty()) {
    size_t sp = t.find(' ');
    out.emplace_back(t.substr(0, sp));
    t = sp == std::string_view::npos ? std::string_view{} : trim(t.substr(sp + 1));
  }
  return out;
}

Result<long> fs_type(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return fail_sys(errno, "statfs", path);
  return static_cast<long>(st.f_type);
}

}  // namespace

Result<Hierarchy> Hierarchy::detect(const std::string& root_in) {
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto type = fs_type(root);
  if (!type) return std::unexpected(type.error().with_context("detecting the cgroup layout"));
  if (*type == CGROUP2_SUPER_MAGIC) {
    auto ctl = read_controllers(root);
    if (!ctl) return std::unexpected(ctl.error().with_context("detecting the cgroup layout"));
    return from_mounts(Layout::kV2, {Mount{root, std::move(*ctl), true}});
  }
  if (*type != TMPFS_MAGIC)
    return fail_invalid("detecting the cgroup layout: " + root + " is neither cgroup2 nor tmpfs (f_type 0x" +
                        [&] {
                          char buf[32];
                          snprintf(buf, sizeof buf, "%lx", *type);
                          return std::string(buf);
                        }() +
                        ")");
  auto text = read_file("/proc/self/mountinfo");
  if (!text) return std::unexpected(text.error().with_context("detecting the cgroup layout"));
  auto all = parse_mountinfo(*text);
  if (!all) return std::unexpected(all.error().with_context("parsing /proc/self/mountinfo"));
  std::vector<Mount> mounts = mounts_under(*all, root);
  bool hybrid = false;
  for (Mount& m : mounts) {
    if (!m.unified) continue;
    // Only <root>/unified makes the layout hybrid; take its controllers.
    auto t = fs_type(m.dir);
    if (t && *t == CGROUP2_SUPER_MAGIC && m.dir == root + "/unified") hybrid = true;
    auto ctl = read_controllers(m.dir);
    if (ctl) m.controllers = std::move(*ctl);
  }
  if (!hybrid) std::erase_if(mounts, [](const Mount& m) { return m.unified; });
  bool any_v1 = std::any_of(mounts.begin(), mounts.end(), [](const Mount& m) { return !m.unified; });
  if (!any_v1) return fail_invalid("detecting the cgroup layout: no cgroup v1 hierarchy is mounted under " + root);
  return from_mounts(hybrid ? Layout::kHybrid : Layout::kV1, std::move(mounts));
}

Hierarchy Hierarchy::from_mounts(Layout layout, std::vector<Mount> mounts) {
  Hierarchy h;
  h.layout_ = layout;
  h.mounts_ = std::move(mounts);
  return h;
}

const Mount* Hierarchy::mount_for(std::string_view controller) const {
  if (layout_ == Layout::kV2) {
    const Mount* u = unified();
    if (!u) return nullptr;
    for (const auto& c : u->controllers)
      if (c == controller) return u;
    return nullptr;
  }
  for (const Mount& m : mounts_) {
    if (m.unified) continue;
    for (const auto& c : m.controllers)
      if (c == controller) return &m;
  }
  return nullptr;
}

const Mount* Hierarchy::unified() const {
  for (const Mount& m : mounts_)
    if (m.unified) return &m;
  return nullptr;
}

}  // namespace ecsd::cgroups
