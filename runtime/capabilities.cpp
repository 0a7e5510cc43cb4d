// Capability names and sets (pure), the host's bounding set, and applying a
// set to the calling process (see apply_capability_sets for what it does).
#include "runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

#include "common/file_util.h"

namespace ecsd::runtime {

namespace {

constexpr std::array<std::string_view, 41> kCapNames = {
    "CAP_CHOWN",            "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",           "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",          "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",        "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",       "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",        "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",     "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",            "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",     "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",    "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

bool is_all(std::string_view name) { return iequals(name, "ALL"); }

constexpr CapMask bit(int cap) { return CapMask{1} << cap; }

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  if (name.size() > 4 && iequals(name.substr(0, 4), "CAP_")) name.remove_prefix(4);
  for (size_t i = 0; i < kCapNames.size(); ++i)
    if (iequals(kCapNames[i].substr(4), name)) return static_cast<int>(i);
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap >= 0 && cap < static_cast<int>(kCapNames.size())) return std::string(kCapNames[cap]);
  return "CAP_" + std::to_string(cap);
}

int last_known_capability() { return static_cast<int>(kCapNames.size()) - 1; }

Result<CapMask> caps_to_mask(const std::vector<std::string>& names) {
  CapMask m = 0;
  for (const auto& n : names) {
    auto c = capability_from_name(n);
    if (!c) return fail_invalid("unknown capability \"" + n + "\"");
    m |= bit(*c);
  }
  return m;
}

std::vector<std::string> mask_to_caps(CapMask mask) {
  std::vector<std::string> out;
  for (int c = 0; c < 64; ++c)
    if (mask & bit(c)) out.push_back(capability_name(c));
  return out;
}

std::vector<std::string> docker_default_capabilities() {
  return {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",     "CAP_MKNOD",
          "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",    "CAP_SETPCAP",
          "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
}

Result<std::vector<std::string>> adjust_capabilities(const std::vector<std::string>& base,
                                                     const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop, CapMask all) {
  bool add_all = false, drop_all = false;
  CapMask add_mask = 0, drop_mask = 0;
  for (const auto& n : add) {
    if (is_all(n)) {
      add_all = true;
      continue;
    }
    auto c = capability_from_name(n);
    if (!c) return fail_invalid("cap-add: unknown capability \"" + n + "\"");
    if (!(all & bit(*c)))
      return fail_invalid("cap-add: " + capability_name(*c) + " is not in the host's bounding set");
    add_mask |= bit(*c);
  }
  for (const auto& n : drop) {
    if (is_all(n)) {
      drop_all = true;
      continue;
    }
    auto c = capability_from_name(n);
    if (!c) return fail_invalid("cap-drop: unknown capability \"" + n + "\"");
    drop_mask |= bit(*c);
  }
  auto base_mask = caps_to_mask(base);
  if (!base_mask) return fail(base_mask.error().with_context("base capabilities"));

  CapMask result;
  if (add_all)
    result = all & ~drop_mask;  // every host capability except the dropped ones
  else if (drop_all)
    result = add_mask;  // nothing but the added ones
  else
    result = (*base_mask & ~drop_mask) | add_mask;  // drop first, then add
  return mask_to_caps(result);
}

Result<CapMask> parse_status_cap_line(std::string_view text, std::string_view field) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.size() <= field.size() || line.substr(0, field.size()) != field || line[field.size()] != ':')
      continue;
    std::string_view hex = trim(line.substr(field.size() + 1));
    if (hex.empty() || hex.size() > 16) return fail_invalid(std::string(field) + ": malformed value");
    CapMask m = 0;
    for (char ch : hex) {
      int d;
      if (ch >= '0' && ch <= '9')
        d = ch - '0';
      else if (ch >= 'a' && ch <= 'f')
        d = ch - 'a' + 10;
      else if (ch >= 'A' && ch <= 'F')
        d = ch - 'A' + 10;
      else
        return fail_invalid(std::string(field) + ": malformed value \"" + std::string(hex) + "\"");
      m = (m << 4) | static_cast<CapMask>(d);
    }
    return m;
  }
  return fail_invalid(std::string(field) + ": not found in status text");
}

Result<CapMask> host_bounding_set() {
  auto text = read_file("/proc/self/status");
  if (!text) return fail(text.error());
  auto m = parse_status_cap_line(*text, "CapBnd");
  if (!m) return fail(m.error().with_context("/proc/self/status"));
  return *m;
}

Result<CapSets> cap_sets_from_spec(const std::optional<Capabilities>& caps) {
  CapSets s;
  if (!caps) return s;
  struct Entry {
    const char* name;
    const std::vector<std::string>* names;
    CapMask* out;
  };
  const Entry entries[] = {{"bounding", &caps->bounding, &s.bounding},
                           {"effective", &caps->effective, &s.effective},
                           {"inheritable", &caps->inheritable, &s.inheritable},
                           {"permitted", &caps->permitted, &s.permitted},
                           {"ambient", &caps->ambient, &s.ambient}};
  for (const auto& e : entries) {
    auto m = caps_to_mask(*e.names);
    if (!m) return fail(m.error().with_context(std::string("process.capabilities.") + e.name));
    *e.out = *m;
  }
  return s;
}

int kernel_last_capability() {
  // PR_CAPBSET_READ fails with EINVAL past the kernel's last capability
  // (no /proc needed, which the container child may not have yet).
  int last = -1;
  for (int c = 0; c < 64; ++c) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0) break;
    last = c;
  }
  return last;
}

Status apply_capability_sets(const CapSets& sets) {
  const int last = kernel_last_capability();
  if (last < 0) return fail_sys(errno, "prctl PR_CAPBSET_READ");
  const CapMask known = (last >= 63) ? ~CapMask{0} : ((CapMask{1} << (last + 1)) - 1);

  // 1. Bounding set: drop what is not asked for (needs CAP_SETPCAP, so first).
  for (int c = 0; c <= last; ++c) {
    if (sets.bounding & bit(c)) continue;
    int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      return fail_sys(errno, "prctl PR_CAPBSET_DROP", capability_name(c));
  }

  // 2. effective / permitted / inheritable with capset(2), version 3 (64 bits).
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  __user_cap_data_struct data[2]{};
  const CapMask e = sets.effective & known, p = sets.permitted & known, i = sets.inheritable & known;
  data[0].effective = static_cast<uint32_t>(e);
  data[1].effective = static_cast<uint32_t>(e >> 32);
  data[0].permitted = static_cast<uint32_t>(p);
  data[1].permitted = static_cast<uint32_t>(p >> 32);
  data[0].inheritable = static_cast<uint32_t>(i);
  data[1].inheritable = static_cast<uint32_t>(i >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) return fail_sys(errno, "capset");

  // 3. Ambient: clear, then raise each. The kernel only allows a capability
  // that is both permitted and inheritable; others are skipped, as runc and
  // crun do (`runc spec` itself asks for ambient caps with no inheritable set).
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return fail_sys(errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
  for (int c = 0; c <= last; ++c) {
    if (!(sets.ambient & bit(c))) continue;
    if (!(sets.permitted & bit(c)) || !(sets.inheritable & bit(c))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return fail_sys(errno, "prctl PR_CAP_AMBIENT_RAISE", capability_name(c));
  }
  return {};
}

Status apply_capabilities(const std::optional<Capabilities>& caps) {
  auto sets = cap_sets_from_spec(caps);
  if (!sets) return fail(sets.error());
  return apply_capability_sets(*sets);
}

}  // namespace ecsd::runtime
