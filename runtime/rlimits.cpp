#include "runtime/rlimits.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace ecsd::runtime {
namespace {

struct Named {
  std::string_view name;
  int resource;
};

constexpr Named kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

std::string num(uint64_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); }

}  // namespace

std::optional<int> rlimit_resource(std::string_view name) {
  for (const auto& r : kRlimits)
    if (r.name == name) return r.resource;
  return std::nullopt;
}

Status check_rlimit(const Rlimit& r, uint64_t current_hard, bool can_raise) {
  std::string where = "process.rlimits " + r.type + ": ";
  if (!rlimit_resource(r.type)) return fail_invalid("process.rlimits: unknown rlimit type \"" + r.type + "\"");
  if (r.soft > r.hard)
    return fail_invalid(where + "soft " + num(r.soft) + " is above hard " + num(r.hard));
  if (!can_raise && r.hard > current_hard)
    return fail_invalid(where + "hard " + num(r.hard) + " exceeds what this host allows (" + num(current_hard) + ")");
  return {};
}

bool have_effective_cap(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

Result<std::vector<ResolvedRlimit>> resolve_rlimits(const std::vector<Rlimit>& rlimits) {
  std::vector<ResolvedRlimit> out;
  if (rlimits.empty()) return out;
  bool can_raise = have_effective_cap(CAP_SYS_RESOURCE);
  for (const auto& r : rlimits) {
    auto res = rlimit_resource(r.type);
    if (!res) return fail_invalid("process.rlimits: unknown rlimit type \"" + r.type + "\"");
    rlimit cur{};
    if (::getrlimit(*res, &cur) != 0) return fail_sys(errno, "getrlimit", r.type);
    ECSD_TRY(check_rlimit(r, cur.rlim_max, can_raise));
    ResolvedRlimit rr;
    rr.resource = *res;
    rr.value.rlim_cur = r.soft;
    rr.value.rlim_max = r.hard;
    out.push_back(rr);
  }
  return out;
}

Status apply_rlimits(const std::vector<ResolvedRlimit>& rlimits) {
  for (const auto& r : rlimits) {
    if (::setrlimit(r.resource, &r.value) != 0) {
      int e = errno;
      const char* name = "rlimit";
      for (const auto& n : kRlimits)
        if (n.resource == r.resource) name = n.name.data();
      return fail_sys(e, "setrlimit", name);
    }
  }
  return {};
}

}  // namespace ecsd::runtime
