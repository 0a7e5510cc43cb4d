#include "netns/state.h"

#include <charconv>
#include <sstream>

namespace ecsd::netns {

TaskRecord* State::find(std::string_view id) {
  for (auto& t : tasks)
    if (t.id == id) return &t;
  return nullptr;
}

bool State::erase(std::string_view id) {
  for (auto it = tasks.begin(); it != tasks.end(); ++it)
    if (it->id == id) {
      tasks.erase(it);
      return true;
    }
  return false;
}

std::string State::port_owner(Protocol p, uint16_t port) const {
  for (const auto& t : tasks)
    for (const auto& b : t.bindings)
      if (b.protocol == p && b.host_port == port) return t.id;
  return {};
}

std::string format_state(const State& st) {
  std::string out = "ecsd-network-state 1\n";
  if (!st.subnet.empty()) out += "subnet " + st.subnet + "\n";
  out += "ip-cursor " + std::to_string(st.ip_cursor) + "\n";
  out += "port-cursor " + std::to_string(st.port_cursor) + "\n";
  for (const auto& t : st.tasks) {
    out += "task " + t.id + " " + t.mode + " " + (t.ip ? format_ipv4(t.ip) : "-") + " " +
           (t.host_veth.empty() ? "-" : t.host_veth) + "\n";
    for (const auto& b : t.bindings)
      out += "bind " + t.id + " " + protocol_name(b.protocol) + " " + std::to_string(b.container_port) + " " +
             std::to_string(b.host_port) + "\n";
  }
  return out;
}

namespace {
template <typename T>
bool parse_uint(const std::string& s, T& out, unsigned long long max) {
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}
}  // namespace

Result<State> parse_state(std::string_view text) {
  State st;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::vector<std::string> f;
    for (std::string w; ls >> w;) f.push_back(w);
    auto bad = [&](const std::string& why) {
      return fail_invalid("network state line " + std::to_string(n) + " '" + line + "': " + why);
    };
    if (n == 1) {
      if (f.size() != 2 || f[0] != "ecsd-network-state" || f[1] != "1") return bad("unknown format");
      continue;
    }
    if (f[0] == "subnet" && f.size() == 2) {
      auto c = parse_cidr(f[1]);
      if (!c) return bad(c.error().message);
      st.subnet = f[1];
    } else if (f[0] == "ip-cursor" && f.size() == 2) {
      if (!parse_uint(f[1], st.ip_cursor, 0xffffffffull)) return bad("bad cursor");
    } else if (f[0] == "port-cursor" && f.size() == 2) {
      if (!parse_uint(f[1], st.port_cursor, 65535)) return bad("bad cursor");
    } else if (f[0] == "task" && f.size() == 5) {
      TaskRecord t;
      t.id = f[1];
      if (!validate_task_id(t.id)) return bad("bad task id");
      t.mode = f[2];
      if (t.mode != "bridge" && t.mode != "host" && t.mode != "none") return bad("bad mode");
      if (f[3] != "-") {
        auto a = parse_ipv4(f[3]);
        if (!a) return bad(a.error().message);
        t.ip = *a;
      }
      if (f[4] != "-") t.host_veth = f[4];
      if (st.find(t.id)) return bad("task recorded twice");
      st.tasks.push_back(std::move(t));
    } else if (f[0] == "bind" && f.size() == 5) {
      TaskRecord* t = st.find(f[1]);
      if (!t) return bad("binding of an unknown task");
      PortBinding b;
      auto p = parse_protocol(f[2]);
      if (!p) return bad(p.error().message);
      b.protocol = *p;
      if (!parse_uint(f[3], b.container_port, 65535) || !parse_uint(f[4], b.host_port, 65535))
        return bad("bad port");
      t->bindings.push_back(b);
    } else {
      return bad("unknown entry");
    }
  }
  if (n == 0) return fail_invalid("network state is empty");
  return st;
}

Result<uint32_t> allocate_ip(const Cidr& subnet, State& st) {
  if (subnet.prefix > 30) return fail_invalid("subnet " + subnet.str() + " is too small for tasks");
  const uint32_t first = subnet.network + 2;  // .0 network, .1 gateway
  const uint32_t last = subnet.broadcast() - 1;
  const uint32_t span = last - first + 1;
  uint32_t start = (st.ip_cursor >= first && st.ip_cursor <= last) ? st.ip_cursor - first + 1 : 0;
  std::vector<bool> used(span, false);
  for (const auto& t : st.tasks)
    if (t.ip >= first && t.ip <= last) used[t.ip - first] = true;
  for (uint32_t i = 0; i < span; ++i) {
    uint32_t off = (start + i) % span;
    if (!used[off]) {
      st.ip_cursor = first + off;
      return first + off;
    }
  }
  return fail_invalid("no free address left in " + subnet.str());
}

Status validate_task_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..")
    return fail_invalid("bad task id '" + std::string(id) + "' (1..128 of A-Za-z0-9_.-)");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    if (!ok) return fail_invalid("bad task id '" + std::string(id) + "' (1..128 of A-Za-z0-9_.-)");
  }
  return {};
}

std::string host_veth_name(std::string_view prefix, std::string_view bridge, std::string_view id) {
  uint32_t h = 2166136261u;  // FNV-1a
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;
    }
  };
  mix(bridge);
  mix("/");
  mix(id);
  static const char hex[] = "0123456789abcdef";
  std::string out(prefix.substr(0, 7));
  for (int i = 7; i >= 0; --i) out.push_back(hex[(h >> (i * 4)) & 15]);
  return out;
}

}  // namespace ecsd::netns
