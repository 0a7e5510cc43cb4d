#include "runtime/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "runtime/json_log.h"

namespace ecsd::runtime {

using nlohmann::json;

std::string_view to_string(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kCreating: return "creating";
    case ContainerStatus::kCreated: return "created";
    case ContainerStatus::kRunning: return "running";
    case ContainerStatus::kStopped: return "stopped";
  }
  return "unknown";
}

std::string state_to_json(const ContainerState& s) {
  json j = {{"ociVersion", s.oci_version}, {"id", s.id},           {"pid", s.pid},
            {"pidStartTime", s.pid_start_time}, {"shimPid", s.shim_pid}, {"bundle", s.bundle},
            {"rootfs", s.rootfs},           {"created", s.created}, {"cgroupsPath", s.cgroup_path},
            {"annotations", s.annotations}};
  return j.dump(2) + "\n";
}

Result<ContainerState> state_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("state.json: not a JSON object");
  ContainerState s;
  try {
    s.oci_version = j.value("ociVersion", std::string());
    s.id = j.at("id").get<std::string>();
    s.pid = j.value("pid", 0);
    s.pid_start_time = j.value("pidStartTime", uint64_t{0});
    s.shim_pid = j.value("shimPid", 0);
    s.bundle = j.value("bundle", std::string());
    s.rootfs = j.value("rootfs", std::string());
    s.created = j.value("created", std::string());
    s.cgroup_path = j.value("cgroupsPath", std::string());
    if (j.contains("annotations") && j["annotations"].is_object())
      s.annotations = j["annotations"].get<std::map<std::string, std::string>>();
  } catch (const std::exception& e) {
    return fail_invalid(std::string("state.json: ") + e.what());
  }
  return s;
}

std::string exit_to_json(const ExitRecord& e) {
  std::string out = "{\"exitCode\":" + std::to_string(e.exit_code) + ",\"signal\":" + std::to_string(e.signal) +
                    ",\"signalName\":\"";
  append_json_escaped(out, e.signal_name);
  out += "\",\"oomKilled\":";
  out += e.oom_killed ? "true" : "false";
  out += ",\"finishedAt\":\"";
  append_json_escaped(out, e.finished_at);
  out += "\"}\n";
  return out;
}

Result<ExitRecord> exit_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("exit.json: not a JSON object");
  ExitRecord e;
  try {
    e.exit_code = j.at("exitCode").get<int>();
    e.signal = j.value("signal", 0);
    e.signal_name = j.value("signalName", std::string());
    e.oom_killed = j.value("oomKilled", false);
    e.finished_at = j.value("finishedAt", std::string());
  } catch (const std::exception& ex) {
    return fail_invalid(std::string("exit.json: ") + ex.what());
  }
  return e;
}

std::string oci_state_json(const ContainerState& s, ContainerStatus st, const std::optional<ExitRecord>& exit) {
  json j = {{"ociVersion", s.oci_version.empty() ? "1.0.2" : s.oci_version},
            {"id", s.id},
            {"status", std::string(to_string(st))},
            {"pid", st == ContainerStatus::kStopped ? 0 : s.pid},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"created", s.created},
            {"cgroupsPath", s.cgroup_path},
            {"owner", ""}};
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  if (exit) {
    j["exitCode"] = exit->exit_code;
    if (exit->signal) j["signal"] = exit->signal_name;
    j["oomKilled"] = exit->oom_killed;
    j["finishedAt"] = exit->finished_at;
  }
  return j.dump(2) + "\n";
}

Status validate_container_id(std::string_view id) {
  if (id.empty()) return fail_invalid("container id is empty");
  if (id.size() > 1024) return fail_invalid("container id is longer than 1024 characters");
  if (id[0] == '.' || id[0] == '-') return fail_invalid("container id \"" + std::string(id) + "\" must start with a letter or digit");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-';
    if (!ok) return fail_invalid("container id \"" + std::string(id) + "\" has characters other than [A-Za-z0-9_.-]");
  }
  return {};
}

ContainerStatus derive_status(bool exit_recorded, bool process_alive, bool fifo_exists) {
  if (exit_recorded || !process_alive) return ContainerStatus::kStopped;
  if (fifo_exists) return ContainerStatus::kCreated;
  return ContainerStatus::kRunning;
}

Result<uint64_t> parse_stat_start_time(std::string_view t) {
  size_t rp = t.rfind(')');
  if (rp == std::string_view::npos) return fail_invalid("/proc/<pid>/stat: no ')'");
  // After ") " come fields 3.. ; starttime is field 22 -> the 20th after comm.
  std::string_view rest = t.substr(rp + 1);
  int field = 2;
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j == i) break;
    ++field;
    if (field == 22) {
      uint64_t v = 0;
      for (size_t k = i; k < j; ++k) {
        if (rest[k] < '0' || rest[k] > '9') return fail_invalid("/proc/<pid>/stat: bad starttime");
        v = v * 10 + static_cast<uint64_t>(rest[k] - '0');
      }
      return v;
    }
    i = j;
  }
  return fail_invalid("/proc/<pid>/stat: too few fields");
}

uint64_t process_start_time(pid_t pid) {
  if (pid <= 0) return 0;
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return 0;
  auto st = parse_stat_start_time(*text);
  return st ? *st : 0;
}

bool process_matches(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return false;
  size_t rp = text->rfind(')');
  if (rp != std::string::npos && rp + 2 < text->size() && (*text)[rp + 2] == 'Z') return false;  // zombie: exited
  auto st = parse_stat_start_time(*text);
  if (!st) return false;
  return start_time == 0 || *st == start_time;
}

Status write_file_replace(const std::string& path, std::string_view data, bool durable) {
  if (durable) return write_file_atomic(path, data, 0644);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return fail_sys(errno, "create", tmp);
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return fail_sys(e, "write", tmp);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail_sys(e, "rename to " + path + " from", tmp);
  }
  return {};
}

std::string now_rfc3339() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339_nano(ts);
}

Status StateStore::create(std::string_view id) const {
  ECSD_TRY(validate_container_id(id));
  ECSD_TRY(make_dirs(root_, 0711));
  std::string d = dir(id);
  if (::mkdir(d.c_str(), 0711) != 0) {
    if (errno == EEXIST) return fail_invalid("container \"" + std::string(id) + "\" already exists (" + d + ")");
    return fail_sys(errno, "mkdir", d);
  }
  return {};
}

bool StateStore::exists(std::string_view id) const {
  struct stat st;
  return ::stat(state_path(id).c_str(), &st) == 0;
}

Status StateStore::write_state(const ContainerState& s, bool durable) const {
  return write_file_replace(state_path(s.id), state_to_json(s), durable);
}

Result<ContainerState> StateStore::read_state(std::string_view id) const {
  ECSD_TRY(validate_container_id(id));
  auto text = read_file(state_path(id));
  if (!text) {
    if (text.error().code == ENOENT) return fail_invalid("container \"" + std::string(id) + "\" does not exist");
    return fail(text.error());
  }
  return state_from_json(*text);
}

Result<std::optional<ExitRecord>> StateStore::read_exit(std::string_view id) const {
  auto text = read_file(exit_path(id));
  if (!text) {
    if (text.error().code == ENOENT) return std::optional<ExitRecord>();
    return fail(text.error());
  }
  auto e = exit_from_json(*text);
  if (!e) return fail(e.error());
  return std::optional<ExitRecord>(*e);
}

ContainerStatus StateStore::status(const ContainerState& s) const {
  struct stat st;
  bool exit_recorded = ::stat(exit_path(s.id).c_str(), &st) == 0;
  bool alive = process_matches(s.pid, s.pid_start_time);
  bool fifo = ::stat(fifo_path(s.id).c_str(), &st) == 0;
  return derive_status(exit_recorded, alive, fifo);
}

Status StateStore::remove(std::string_view id) const {
  ECSD_TRY(validate_container_id(id));
  std::string d = dir(id);
  DIR* dp = ::opendir(d.c_str());
  if (!dp) {
    if (errno == ENOENT) return {};
    return fail_sys(errno, "opendir", d);
  }
  while (dirent* de = ::readdir(dp)) {
    std::string_view n = de->d_name;
    if (n == "." || n == "..") continue;
    if (::unlinkat(::dirfd(dp), de->d_name, 0) != 0 && errno != ENOENT) {
      int e = errno;
      ::closedir(dp);
      return fail_sys(e, "unlink", d + "/" + std::string(n));
    }
  }
  ::closedir(dp);
  if (::rmdir(d.c_str()) != 0 && errno != ENOENT) return fail_sys(errno, "rmdir", d);
  return {};
}

Result<std::vector<std::string>> StateStore::list() const {
  std::vector<std::string> out;
  DIR* dp = ::opendir(root_.c_str());
  if (!dp) {
    if (errno == ENOENT) return out;
    return fail_sys(errno, "opendir", root_);
  }
  while (dirent* de = ::readdir(dp)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    if (exists(n)) out.push_back(n);
  }
  ::closedir(dp);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ecsd::runtime
