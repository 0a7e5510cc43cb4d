#include "agent/engine/user_lookup.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace ecsd::engine {
namespace {

std::optional<uint32_t> parse_id(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};
struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 4) continue;
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) continue;
    out.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : std::string()});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (auto line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    auto gid = parse_id(f[2]);
    if (!gid) continue;
    GroupEntry g{std::string(f[0]), *gid, {}};
    if (f.size() > 3 && !f[3].empty())
      for (auto m : split(f[3], ',')) g.members.emplace_back(m);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

Result<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd_text, std::string_view group_text) {
  auto users = parse_passwd(passwd_text);
  auto groups = parse_group(group_text);
  std::string_view upart = user, gpart;
  bool has_group = false;
  if (auto c = user.find(':'); c != std::string_view::npos) {
    upart = user.substr(0, c);
    gpart = user.substr(c + 1);
    has_group = true;
  }
  if (upart.empty()) upart = "0";
  ResolvedUser r;
  std::string name;
  const PasswdEntry* found = nullptr;
  if (auto uid = parse_id(upart)) {
    r.uid = *uid;
    for (const auto& e : users)
      if (e.uid == *uid) {
        found = &e;
        break;
      }
  } else {
    for (const auto& e : users)
      if (e.name == upart) {
        found = &e;
        break;
      }
    if (!found)
      return fail_invalid("user \"" + std::string(user) + "\": unable to find user " + std::string(upart) +
                          ": no matching entries in the image's /etc/passwd");
    r.uid = found->uid;
  }
  if (found) {
    r.gid = found->gid;
    name = found->name;
    if (!found->home.empty()) r.home = found->home;
  }
  if (has_group) {
    if (gpart.empty()) return fail_invalid("user \"" + std::string(user) + "\": empty group");
    if (auto gid = parse_id(gpart)) {
      r.gid = *gid;
    } else {
      bool ok = false;
      for (const auto& g : groups)
        if (g.name == gpart) {
          r.gid = g.gid;
          ok = true;
          break;
        }
      if (!ok)
        return fail_invalid("user \"" + std::string(user) + "\": unable to find group " + std::string(gpart) +
                            ": no matching entries in the image's /etc/group");
    }
  }
  if (!name.empty()) {
    for (const auto& g : groups)
      if (g.gid != r.gid && std::find(g.members.begin(), g.members.end(), name) != g.members.end())
        r.additional_gids.push_back(g.gid);
  }
  std::sort(r.additional_gids.begin(), r.additional_gids.end());
  r.additional_gids.erase(std::unique(r.additional_gids.begin(), r.additional_gids.end()), r.additional_gids.end());
  return r;
}

}  // namespace ecsd::engine
