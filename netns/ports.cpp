#include "netns/ports.h"

#include "common/file_util.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

namespace ecsd::netns {

const char* protocol_name(Protocol p) { return p == Protocol::udp ? "udp" : "tcp"; }

Result<Protocol> parse_protocol(std::string_view s) {
  if (s == "tcp") return Protocol::tcp;
  if (s == "udp") return Protocol::udp;
  return fail_invalid("unknown protocol '" + std::string(s) + "' (want tcp or udp)");
}

namespace {

Result<uint16_t> parse_port(std::string_view s, std::string_view what) {
  s = trim(s);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535)
    return fail_invalid("bad port '" + std::string(s) + "' in " + std::string(what));
  return static_cast<uint16_t>(v);
}

std::string port_text(Protocol p, uint16_t port) {
  return std::to_string(port) + "/" + protocol_name(p);
}

bool reserved(const PortAllocator& a, Protocol proto, uint16_t p) {
  const auto& r = proto == Protocol::udp ? a.reserved_udp : a.reserved;
  return std::find(r.begin(), r.end(), p) != r.end();
}

}  // namespace

Result<PortRange> parse_port_range(std::string_view s) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos)
    return fail_invalid("bad port range '" + std::string(s) + "' (want FIRST-LAST)");
  auto a = parse_port(s.substr(0, dash), "port range");
  if (!a) return fail(a.error());
  auto b = parse_port(s.substr(dash + 1), "port range");
  if (!b) return fail(b.error());
  if (*a > *b) return fail_invalid("bad port range '" + std::string(s) + "': first > last");
  return PortRange{*a, *b};
}

Result<std::vector<uint16_t>> parse_port_list(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '[') {
    if (s.back() != ']') return fail_invalid("bad port list '" + std::string(s) + "'");
    s = s.substr(1, s.size() - 2);
  }
  std::vector<uint16_t> out;
  while (!trim(s).empty()) {
    auto comma = s.find(',');
    auto item = s.substr(0, comma);
    auto p = parse_port(item, "port list");
    if (!p) return fail(p.error());
    out.push_back(*p);
    if (comma == std::string_view::npos) break;
    s = s.substr(comma + 1);
  }
  return out;
}

Result<std::vector<PortBinding>> assign_host_ports(const std::vector<PortMapping>& mappings,
                                                   bool host_mode, PortAllocator& alloc) {
  std::vector<PortBinding> out;
  std::set<std::pair<Protocol, uint16_t>> mine;  // host ports this request already took

  auto check_static = [&](Protocol proto, uint16_t hp) -> Status {
    std::string t = port_text(proto, hp);
    if (mine.count({proto, hp})) return fail_invalid("host port " + t + " is mapped twice in this request");
    if (alloc.owner) {
      std::string o = alloc.owner(proto, hp);
      if (!o.empty()) return fail_invalid("host port " + t + " is already taken by task " + o);
    }
    if (reserved(alloc, proto, hp)) return fail_invalid("host port " + t + " is reserved");
    if (alloc.in_use && alloc.in_use(proto, hp))
      return fail_invalid("host port " + t + " is in use by a process on the host");
    return {};
  };
  auto free_for_dynamic = [&](Protocol proto, uint16_t hp) {
    if (mine.count({proto, hp}) || reserved(alloc, proto, hp)) return false;
    if (alloc.owner && !alloc.owner(proto, hp).empty()) return false;
    if (alloc.in_use && alloc.in_use(proto, hp)) return false;
    return true;
  };

  for (const auto& m : mappings) {
    std::string what = "port mapping " + std::to_string(m.container_port) +
                       (m.container_port_end ? "-" + std::to_string(m.container_port_end) : std::string()) +
                       "/" + protocol_name(m.protocol);
    if (m.container_port == 0) return fail_invalid(what + ": container port 0");
    if (m.container_port_end != 0) {
      if (m.container_port_end < m.container_port) return fail_invalid(what + ": range end before start");
      if (m.host_port != 0) return fail_invalid(what + ": a container port range takes dynamic host ports only");
    }
    uint32_t count = m.container_port_end ? m.container_port_end - m.container_port + 1u : 1u;

    if (host_mode) {
      if (m.host_port != 0 && m.host_port != m.container_port && count == 1)
        return fail_invalid(what + ": in host mode the host port must equal the container port");
      for (uint32_t i = 0; i < count; ++i) {
        uint16_t p = static_cast<uint16_t>(m.container_port + i);
        auto st = check_static(m.protocol, p);
        if (!st) return fail(st.error().with_context(what));
        mine.insert({m.protocol, p});
        out.push_back({"0.0.0.0", p, p, m.protocol});
      }
      continue;
    }

    if (m.host_port != 0) {
      auto st = check_static(m.protocol, m.host_port);
      if (!st) return fail(st.error().with_context(what));
      mine.insert({m.protocol, m.host_port});
      out.push_back({"0.0.0.0", m.container_port, m.host_port, m.protocol});
      continue;
    }

    // Dynamic: `count` contiguous free host ports, searched from the cursor
    // round the configured range.
    const PortRange r = alloc.dynamic;
    const uint32_t span = static_cast<uint32_t>(r.last) - r.first + 1;
    if (count > span) return fail_invalid(what + ": more ports than the dynamic range " +
                                          std::to_string(r.first) + "-" + std::to_string(r.last) + " holds");
    uint32_t start = alloc.cursor && r.contains(alloc.cursor) ? alloc.cursor - r.first : 0;
    bool found = false;
    for (uint32_t tried = 0; tried < span && !found; ++tried) {
      uint32_t base = (start + tried) % span;
      if (base + count > span) continue;  // a range does not wrap round
      bool ok = true;
      for (uint32_t i = 0; i < count && ok; ++i)
        ok = free_for_dynamic(m.protocol, static_cast<uint16_t>(r.first + base + i));
      if (!ok) continue;
      for (uint32_t i = 0; i < count; ++i) {
        uint16_t hp = static_cast<uint16_t>(r.first + base + i);
        mine.insert({m.protocol, hp});
        out.push_back({"0.0.0.0", static_cast<uint16_t>(m.container_port + i), hp, m.protocol});
      }
      uint32_t next = (base + count) % span;
      alloc.cursor = static_cast<uint16_t>(r.first + next);
      found = true;
    }
    if (!found)
      return fail_invalid(what + ": no free host port" + (count > 1 ? " range" : std::string()) +
                          " in the dynamic range " + std::to_string(r.first) + "-" + std::to_string(r.last));
  }
  return out;
}

}  // namespace ecsd::netns
