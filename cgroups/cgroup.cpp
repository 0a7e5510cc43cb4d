// Cgroup: create, open, paths, processes, kill and remove.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {

std::vector<std::string> components(std::string_view rel) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string_view::npos) j = rel.size();
    out.emplace_back(rel.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Hierarchy roots the cgroup lives under: the v1 mounts of the managed
// controllers (a joint "cpu,cpuacct" mount once), or the v2 unified mount.
std::vector<std::string> roots(const Hierarchy& h) {
  std::vector<std::string> out;
  if (h.layout() == Layout::kV2) {
    if (const Mount* u = h.unified()) out.push_back(u->dir);
    return out;
  }
  for (std::string_view c : kV1Controllers) {
    const Mount* m = h.mount_for(c);
    if (m && std::find(out.begin(), out.end(), m->dir) == out.end()) out.push_back(m->dir);
  }
  return out;
}

std::vector<std::string> split_words(std::string_view t) {
  std::vector<std::string> out;
  t = trim(t);
  while (!t.empty()) {
    size_t sp = t.find_first_of(" \n\t");
    out.emplace_back(t.substr(0, sp));
    t = sp == std::string_view::npos ? std::string_view{} : trim(t.substr(sp + 1));
  }
  return out;
}

// v2: enable the controllers we use (those the parent offers) for the
// children of dir.
Status enable_subtree_controllers(const std::string& dir) {
  auto offered = read_file(dir + "/cgroup.controllers");
  if (!offered) return std::unexpected(offered.error());
  auto enabled = read_file(dir + "/cgroup.subtree_control");
  if (!enabled) return std::unexpected(enabled.error());
  auto have = split_words(*offered);
  auto on = split_words(*enabled);
  std::string add;
  for (std::string_view c : kV2Controllers) {
    bool offered_c = std::find(have.begin(), have.end(), c) != have.end();
    bool on_c = std::find(on.begin(), on.end(), c) != on.end();
    if (offered_c && !on_c) {
      if (!add.empty()) add.push_back(' ');
      add.append("+").append(c);
    }
  }
  if (add.empty()) return {};
  return write_existing_file(dir + "/cgroup.subtree_control", add);
}

// v1 cpuset: a new cpuset has empty cpuset.cpus/mems and no task can join it
// until they are set; copy them from the parent.
Status inherit_cpuset(const std::string& parent, const std::string& dir) {
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    auto mine = read_file(dir + "/" + f);
    if (!mine) return std::unexpected(mine.error());
    if (!trim(*mine).empty()) continue;
    auto theirs = read_file(parent + "/" + f);
    if (!theirs) return std::unexpected(theirs.error());
    ECSD_TRY(write_existing_file(dir + "/" + f, trim(*theirs)));
  }
  return {};
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// rmdir, retrying while tasks that just exited still pin the cgroup.
Status rmdir_retry(const std::string& dir) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt >= 200) return fail_sys(errno, "rmdir", dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status remove_tree(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return {};
    return fail_sys(errno, "open directory", dir);
  }
  std::vector<std::string> children;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && is_dir(dir + "/" + name))) children.push_back(name);
  }
  ::closedir(d);
  for (const auto& c : children) ECSD_TRY(remove_tree(dir + "/" + c));
  return rmdir_retry(dir);
}

}  // namespace

Result<Cgroup> Cgroup::create(const Hierarchy& h, std::string rel_path) {
  ECSD_TRY(validate_rel_path(rel_path));
  auto rs = roots(h);
  if (rs.empty()) return fail_invalid("creating cgroup " + rel_path + ": no usable cgroup hierarchy");
  std::vector<std::string> created;
  auto undo = [&](Error e) -> Result<Cgroup> {
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
    return fail(e.context("creating cgroup " + rel_path));
  };
  const bool v2 = h.layout() == Layout::kV2;
  const Mount* cpuset = v2 ? nullptr : h.mount_for("cpuset");
  for (const std::string& root : rs) {
    std::string cur = root;
    for (const std::string& comp : components(rel_path)) {
      if (v2) {
        if (auto st = enable_subtree_controllers(cur); !st) return undo(st.error());
      }
      std::string next = cur + "/" + comp;
      if (::mkdir(next.c_str(), 0755) == 0) {
        created.push_back(next);
      } else if (errno != EEXIST || !is_dir(next)) {
        return undo(Error::sys(errno, "mkdir", next));
      }
      if (cpuset && root == cpuset->dir) {
        if (auto st = inherit_cpuset(cur, next); !st) return undo(st.error());
      }
      cur = std::move(next);
    }
  }
  return Cgroup(h, std::move(rel_path));
}

Result<Cgroup> Cgroup::open(const Hierarchy& h, std::string rel_path) {
  ECSD_TRY(validate_rel_path(rel_path));
  auto rs = roots(h);
  if (rs.empty()) return fail_invalid("opening cgroup " + rel_path + ": no usable cgroup hierarchy");
  for (const std::string& root : rs) {
    std::string dir = root + "/" + rel_path;
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return fail_sys(errno, "open cgroup", dir);
    if (!S_ISDIR(st.st_mode)) return fail_sys(ENOTDIR, "open cgroup", dir);
  }
  return Cgroup(h, std::move(rel_path));
}

std::string Cgroup::dir_for(std::string_view controller) const {
  const Mount* m = hierarchy_.mount_for(controller);
  if (!m) return {};
  return m->dir + "/" + rel_path_;
}

std::vector<std::string> Cgroup::dirs() const {
  std::vector<std::string> out;
  for (const std::string& root : roots(hierarchy_)) out.push_back(root + "/" + rel_path_);
  return out;
}

Status Cgroup::add_process(pid_t pid) {
  std::string value = std::to_string(pid);
  for (const std::string& dir : dirs()) {
    auto st = write_existing_file(dir + "/cgroup.procs", value);
    if (!st) return fail(st.error().with_context("adding process " + value + " to cgroup " + rel_path_));
  }
  return {};
}

Result<std::vector<pid_t>> Cgroup::processes() const {
  std::set<pid_t> all;
  for (const std::string& dir : dirs()) {
    auto text = read_file(dir + "/cgroup.procs");
    if (!text) return std::unexpected(text.error());
    auto pids = parse_pids(*text);
    if (!pids) return std::unexpected(pids.error().with_context(dir + "/cgroup.procs"));
    all.insert(pids->begin(), pids->end());
  }
  return std::vector<pid_t>(all.begin(), all.end());
}

Status Cgroup::kill_all(int sig) {
  if (sig == SIGKILL && hierarchy_.layout() == Layout::kV2) {
    std::string kill_file = dirs().front() + "/cgroup.kill";
    if (::access(kill_file.c_str(), F_OK) == 0) {
      auto st = write_existing_file(kill_file, "1");
      if (!st) return fail(st.error().with_context("killing cgroup " + rel_path_));
      // Fall through: wait (re-signalling stragglers) until the cgroup is empty.
    }
  }
  // Signal every listed process; for SIGKILL repeat until the cgroup is empty
  // so that children forked meanwhile are caught too. On success after
  // SIGKILL, processes() is empty.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto pids = processes();
    if (!pids) return fail(pids.error().with_context("killing cgroup " + rel_path_));
    if (pids->empty()) return {};
    for (pid_t p : *pids) {
      if (::kill(p, sig) != 0 && errno != ESRCH)
        return fail_sys(errno, "kill " + std::to_string(p) + " in cgroup", rel_path_);
    }
    if (sig != SIGKILL) return {};
    if (std::chrono::steady_clock::now() > deadline)
      return fail_invalid("killing cgroup " + rel_path_ + ": " + std::to_string(pids->size()) +
                          " processes still present after SIGKILL for 10s");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Status Cgroup::remove() {
  for (const std::string& dir : dirs()) {
    auto st = remove_tree(dir);
    if (!st) return fail(st.error().with_context("removing cgroup " + rel_path_));
  }
  return {};
}

}  // namespace ecsd::cgroups
