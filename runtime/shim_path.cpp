#include "runtime/shim_path.h"

#include <unistd.h>

#include <cstdlib>

namespace ecsd::runtime {

std::vector<std::string> shim_candidates(const char* env_shim, const std::string& self_dir) {
  if (env_shim && *env_shim) return {env_shim};
  std::vector<std::string> out;
  if (!self_dir.empty()) out.push_back(self_dir + "/ecsd-shim");
  if (out.empty() || out.back() != kLibexecShim) out.push_back(kLibexecShim);
  return out;
}

std::string self_exe_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string p(buf, static_cast<size_t>(n));
  size_t s = p.rfind('/');
  if (s == std::string::npos) return "";
  return s == 0 ? "/" : p.substr(0, s);
}

Result<std::string> find_shim(const char* env_shim, const std::string& self_dir) {
  auto cands = shim_candidates(env_shim, self_dir);
  std::string tried;
  int last_errno = ENOENT;
  for (const auto& c : cands) {
    if (::access(c.c_str(), X_OK) == 0) return c;
    last_errno = errno;
    tried += (tried.empty() ? "" : ", ") + c;
  }
  if (env_shim && *env_shim) return fail_sys(last_errno, "ECSD_SHIM is not an executable:", tried);
  return fail_sys(last_errno, "ecsd-shim not found (set ECSD_SHIM); tried", tried);
}

Result<std::string> find_shim() { return find_shim(std::getenv("ECSD_SHIM"), self_exe_dir()); }

}  // namespace ecsd::runtime
