#include "netns/network.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "common/file_util.h"
#include "netns/dns_files.h"
#include "netns/host_forward.h"
#include "netns/netlink.h"
#include "netns/netns_file.h"
#include "netns/nft.h"
#include "netns/nft_rules.h"
#include "netns/sysctl.h"

namespace ecsd::netns {

namespace {

constexpr const char* kTaskIf = "eth0";

bool valid_table_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool valid_ifname(const std::string& s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s)
    if (c == '/' || c == ':' || c == ' ' || c == '"' || c == '\\' || c == '\'') return false;
  return true;
}

// A hostname from a task id: invalid characters become '-', at most 63.
std::string default_hostname(const std::string& id) {
  std::string h;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    h.push_back(ok ? c : '-');
    if (h.size() == 63) break;
  }
  while (!h.empty() && h.front() == '-') h.erase(h.begin());
  while (!h.empty() && h.back() == '-') h.pop_back();
  return h.empty() ? "task" : h;
}

// The request's hostname, else the host's name (host mode) or one made from the id.
std::string task_hostname(const TaskNetworkRequest& req) {
  if (!req.hostname.empty()) return req.hostname;
  if (req.mode == Mode::host) {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
  }
  return default_hostname(req.id);
}

bool valid_ip_text(const std::string& s) {
  if (s.find(':') != std::string::npos) return s.size() <= 45;  // IPv6 text
  return parse_ipv4(s).has_value();
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

Status remove_files_dir(const std::string& dir) {
  for (const auto& n : list_dir(dir)) {
    std::string p = dir + "/" + n;
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return fail_sys(errno, "remove", p);
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return fail_sys(errno, "remove", dir);
  return {};
}

void keep_error(std::vector<Error>& errors, Status st, const std::string& ctx) {
  if (!st) errors.push_back(st.error().with_context(ctx));
}

}  // namespace

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::bridge: return "bridge";
    case Mode::host: return "host";
    case Mode::none: return "none";
    case Mode::awsvpc: return "awsvpc";
  }
  return "?";
}

Result<Mode> parse_mode(std::string_view s) {
  if (s == "bridge") return Mode::bridge;
  if (s == "host") return Mode::host;
  if (s == "none") return Mode::none;
  if (s == "awsvpc") return Mode::awsvpc;
  return fail_invalid("unknown network mode '" + std::string(s) + "' (bridge, host, none or awsvpc)");
}

Network::Network(NetworkConfig cfg) : cfg_(std::move(cfg)) {}

Network::~Network() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string Network::netns_path(const std::string& id) const { return cfg_.run_dir + "/netns/" + id; }
std::string Network::files_dir(const std::string& id) const { return cfg_.run_dir + "/files/" + id; }
std::string Network::subnet() const { return Cidr{subnet_net_, subnet_prefix_}.str(); }
std::string Network::gateway() const { return format_ipv4(subnet_net_ + 1); }

Result<std::unique_ptr<Network>> Network::open(NetworkConfig cfg) {
  std::unique_ptr<Network> n(new Network(std::move(cfg)));
  auto st = n->init();
  if (!st) return fail(st.error().with_context("setting up the task network (bridge " + n->cfg_.bridge_name + ")"));
  return n;
}

Status Network::init() {
  const auto& c = cfg_;
  if (!valid_ifname(c.bridge_name)) return fail_invalid("bad bridge name '" + c.bridge_name + "'");
  if (c.veth_prefix.empty() || c.veth_prefix.size() > 7 || !valid_ifname(c.veth_prefix))
    return fail_invalid("bad veth prefix '" + c.veth_prefix + "' (1..7 characters)");
  if (!valid_table_name(c.nft_table)) return fail_invalid("bad nftables table name '" + c.nft_table + "'");
  if (c.dynamic_ports.first == 0 || c.dynamic_ports.first > c.dynamic_ports.last)
    return fail_invalid("bad dynamic host port range");
  if (!parse_ipv4(c.agent_ip) || !parse_ipv4(c.metadata_ip))
    return fail_invalid("bad agent or metadata address '" + c.agent_ip + "', '" + c.metadata_ip + "'");
  if (c.state_dir.empty() || c.run_dir.empty()) return fail_invalid("state and run directories must be set");

  ECSD_TRY(make_dirs(c.state_dir, 0700));
  ECSD_TRY(make_dirs(c.run_dir + "/netns", 0755));
  ECSD_TRY(make_dirs(c.run_dir + "/files", 0755));

  std::string lock_path = c.state_dir + "/lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return fail_sys(errno, "open", lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return fail_invalid("state directory " + c.state_dir + " is in use by another ecsd process");
    return fail_sys(errno, "lock", lock_path);
  }

  auto text = read_file(c.state_dir + "/state");
  if (text) {
    auto parsed = parse_state(*text);
    if (!parsed) return fail(parsed.error().with_context(c.state_dir + "/state"));
    state_ = std::move(*parsed);
  } else if (text.error().code != ENOENT) {
    return fail(text.error());
  }

  auto nl = Netlink::open();
  if (!nl) return fail(nl.error());
  auto existing = nl->link_index(c.bridge_name);
  if (!existing && existing.error().code != ENODEV) return fail(existing.error());
  int br = existing ? *existing : 0;

  auto routes = nl->routes_v4();
  if (!routes) return fail(routes.error());
  std::vector<Cidr> taken;
  uint32_t default_mtu = 0;
  for (const auto& r : *routes) {
    if (r.dst_len == 0) {
      if (!default_mtu && r.oif) {
        auto l = nl->link(r.oif);
        if (l) default_mtu = l->mtu;
      }
      continue;
    }
    if (br && r.oif == br) continue;  // our own bridge's route
    taken.push_back(Cidr{r.dst, r.dst_len});
  }
  auto clash = [&](const Cidr& s) -> Status {
    for (const auto& t : taken)
      if (s.overlaps(t))
        return fail_invalid("subnet " + s.str() + " overlaps the host route " + t.str() +
                            "; configure another subnet");
    return {};
  };

  Cidr subnet;
  if (!c.subnet.empty()) {
    auto s = parse_cidr(c.subnet);
    if (!s) return fail(s.error());
    if (!state_.subnet.empty() && state_.subnet != s->str() && !state_.tasks.empty())
      return fail_invalid("subnet changed from " + state_.subnet + " to " + s->str() +
                          " while tasks are still recorded; stop them first");
    subnet = *s;
  } else if (!state_.subnet.empty()) {
    subnet = *parse_cidr(state_.subnet);
  } else {
    auto s = pick_private_subnet(taken);
    if (!s) return fail(s.error());
    subnet = *s;
  }
  ECSD_TRY(clash(subnet));
  if (subnet.prefix > 30) return fail_invalid("subnet " + subnet.str() + " is too small");
  subnet_net_ = subnet.network;
  subnet_prefix_ = subnet.prefix;
  if (state_.subnet != subnet.str()) {
    state_.subnet = subnet.str();
    ECSD_TRY(save_locked());
  }

  mtu_ = c.mtu ? c.mtu : (default_mtu ? default_mtu : 1500);

  if (!br) {
    auto st = nl->create_bridge(c.bridge_name, mtu_);
    if (!st && st.error().code != EEXIST) return fail(st.error());
    auto idx = nl->link_index(c.bridge_name);
    if (!idx) return fail(idx.error());
    br = *idx;
  }
  auto li = nl->link(br);
  if (!li) return fail(li.error());
  if (li->kind != "bridge") return fail_invalid("link " + c.bridge_name + " exists and is not a bridge");
  bridge_index_ = br;
  ECSD_TRY(nl->add_address(br, subnet.gateway(), subnet.prefix, "bridge " + c.bridge_name));
  ECSD_TRY(nl->set_up(br, "bridge " + c.bridge_name));

  // Forwarding for packets entering from the bridge, and localhost
  // destinations (the DNATed metadata address) for packets from tasks.
  ECSD_TRY(write_sysctl("net/ipv4/conf/" + c.bridge_name + "/forwarding", "1"));
  ECSD_TRY(write_sysctl("net/ipv4/conf/" + c.bridge_name + "/route_localnet", "1"));
  if (c.enable_ip_forward) ECSD_TRY(write_sysctl("net/ipv4/ip_forward", "1"));

  auto nft = Nft::create();
  if (!nft) return fail(nft.error());
  nft_ = std::make_unique<Nft>(std::move(*nft));
  ECSD_TRY(apply_table_locked());
  // Best effort: a port a host process took while no agent ran stays mapped
  // (traffic is DNATed to the task all the same).
  for (const auto& t : state_.tasks) (void)hold_ports_locked(t);
  return host_forward_locked();
}

Status Network::host_forward_locked() {
  if (!cfg_.host_forward_accept || host_forward_done_) return {};
  auto r = ensure_host_forward_accept(*nft_, cfg_.bridge_name);
  if (!r) return fail(r.error().with_context("accepting bridge " + cfg_.bridge_name +
                                             " in the host's FORWARD chain (policy DROP)"));
  host_forward_done_ = !r->backends.empty();
  return {};
}

Status Network::hold_ports_locked(const TaskRecord& rec) {
  if (rec.mode != "bridge") return {};
  for (const auto& b : rec.bindings) {
    auto key = std::make_pair(b.protocol, b.host_port);
    if (holders_.count(key)) continue;
    auto fd = hold_host_port(b.protocol, b.host_port);
    if (!fd) {
      if (fd.error().code == EADDRINUSE)
        return fail_invalid("host port " + std::to_string(b.host_port) + "/" + protocol_name(b.protocol) +
                            " is in use by a process on the host");
      return fail(fd.error());
    }
    holders_.emplace(key, std::move(*fd));
  }
  return {};
}

void Network::release_ports_locked(const TaskRecord& rec) {
  if (rec.mode != "bridge") return;
  for (const auto& b : rec.bindings) holders_.erase(std::make_pair(b.protocol, b.host_port));
}

Status Network::save_locked() {
  return write_file_atomic(cfg_.state_dir + "/state", format_state(state_), 0600);
}

Status Network::apply_table_locked() {
  TableSpec spec;
  spec.table = cfg_.nft_table;
  spec.bridge = cfg_.bridge_name;
  spec.subnet = subnet();
  spec.metadata_ip = cfg_.metadata_ip;
  spec.metadata_port = cfg_.metadata_port;
  spec.agent_ip = cfg_.agent_ip;
  spec.agent_port = cfg_.agent_port;
  spec.agent_endpoint_from_host = cfg_.agent_endpoint_from_host;
  spec.agent_local_ports = cfg_.agent_local_ports;
  return nft_->run(table_script(spec, state_), "writing table ip " + cfg_.nft_table);
}

Result<TaskNetwork> Network::setup(const TaskNetworkRequest& req) {
  const std::string ctx = "setting up the network of task " + req.id;
  auto invalid = [&](const std::string& m) { return fail(Error::invalid(m).context(ctx)); };
  if (auto st = validate_task_id(req.id); !st) return fail(st.error());
  if (req.mode == Mode::awsvpc)
    return invalid("network mode awsvpc is not supported: it needs an elastic network interface per "
                   "task, attached through the EC2 API (see docs/networking.md); use bridge or host");
  const std::string hostname = task_hostname(req);
  if (!valid_hostname(hostname)) return invalid("bad hostname '" + hostname + "'");
  for (const auto& h : req.extra_hosts)
    if (!valid_hostname(h.hostname) || !valid_ip_text(h.ip))
      return invalid("bad extra host '" + h.hostname + ":" + h.ip + "'");
  for (const auto& s : req.dns_servers)
    if (!valid_ip_text(s)) return invalid("bad DNS server '" + s + "'");
  for (const auto& s : req.dns_search)
    if (!valid_hostname(s)) return invalid("bad DNS search domain '" + s + "'");
  if (req.mode == Mode::none && !req.port_mappings.empty())
    return invalid("network mode none has no ports to map");

  TaskRecord rec;
  rec.id = req.id;
  rec.mode = mode_name(req.mode);
  {
    std::lock_guard lk(mu_);
    if (state_.find(req.id)) return invalid("its network is already set up");
    // A FORWARD policy that became DROP since open() (e.g. Docker started).
    if (req.mode == Mode::bridge && cfg_.host_forward_accept && !host_forward_done_ &&
        nft_forward_policy_drop(*nft_))
      if (auto st = host_forward_locked(); !st) return fail(st.error().with_context(ctx));
    PortAllocator alloc;
    alloc.dynamic = cfg_.dynamic_ports;
    alloc.reserved = cfg_.reserved_ports;
    alloc.reserved_udp = cfg_.reserved_ports_udp;
    alloc.owner = [this](Protocol p, uint16_t port) { return state_.port_owner(p, port); };
    alloc.in_use = host_port_in_use;
    alloc.cursor = state_.port_cursor;
    auto bindings = assign_host_ports(req.port_mappings, req.mode == Mode::host, alloc);
    if (!bindings) return fail(bindings.error().with_context(ctx));
    rec.bindings = std::move(*bindings);
    State next = state_;
    next.port_cursor = alloc.cursor;
    if (req.mode == Mode::bridge) {
      auto ip = allocate_ip(Cidr{subnet_net_, subnet_prefix_}, next);
      if (!ip) return fail(ip.error().with_context(ctx));
      rec.ip = *ip;
      rec.host_veth = host_veth_name(cfg_.veth_prefix, cfg_.bridge_name, req.id);
      for (const auto& t : state_.tasks)
        if (t.host_veth == rec.host_veth)
          return invalid("host veth name " + rec.host_veth + " collides with task " + t.id);
    }
    // Hold the host ports now: a process that bound one since the check
    // fails the setup here, before anything is changed.
    if (auto st = hold_ports_locked(rec); !st) {
      release_ports_locked(rec);
      return fail(st.error().with_context(ctx));
    }
    next.tasks.push_back(rec);
    std::swap(state_, next);
    if (auto st = save_locked(); !st) {
      std::swap(state_, next);
      release_ports_locked(rec);
      return fail(st.error().with_context(ctx));
    }
  }

  // From here on the task is recorded: any failure undoes everything.
  TaskNetwork out = describe(rec);
  Status st = {};
  if (req.mode != Mode::host) st = setup_namespace(rec);
  if (st && req.mode == Mode::bridge && !rec.bindings.empty()) {
    std::lock_guard lk(mu_);
    st = nft_->run(add_bindings_script(cfg_.nft_table, rec.ip, rec.bindings), "adding port mappings");
  }
  if (st) st = write_files(req, rec, out);
  if (!st) {
    Error e = st.error().with_context(ctx);
    (void)teardown(req.id);
    return fail(std::move(e));
  }
  return out;
}

Status Network::setup_namespace(const TaskRecord& rec) {
  auto ns = create_named_netns(netns_path(rec.id));
  if (!ns) return fail(ns.error());
  auto in = Netlink::open_in(ns->get());
  if (!in) return fail(in.error());
  ECSD_TRY(in->set_up(1, "lo"));  // loopback is always index 1 in a new namespace
  if (rec.mode != "bridge") return {};

  auto host = Netlink::open();
  if (!host) return fail(host.error());
  ECSD_TRY(host->create_veth(rec.host_veth, kTaskIf, ns->get(), mtu_, bridge_index_));
  auto hidx = host->link_index(rec.host_veth);
  if (!hidx) return fail(hidx.error());
  // Hairpin: a task may reach its own host port (the packet comes back on its port).
  ECSD_TRY(host->set_hairpin(*hidx, true, rec.host_veth));
  ECSD_TRY(host->set_up(*hidx, rec.host_veth));

  auto idx = in->link_index(kTaskIf);
  if (!idx) return fail(idx.error());
  ECSD_TRY(in->add_address(*idx, rec.ip, subnet_prefix_, kTaskIf));
  ECSD_TRY(in->set_up(*idx, kTaskIf));
  ECSD_TRY(in->add_default_route(*idx, subnet_net_ + 1));
  return {};
}

Status Network::write_files(const TaskNetworkRequest& req, const TaskRecord& rec, TaskNetwork& out) {
  std::string host_resolv;
  if (auto r = read_file(cfg_.host_resolv_conf)) host_resolv = *r;
  if (only_localhost_nameservers(host_resolv)) {
    if (auto r = read_file(cfg_.host_resolv_conf_fallback)) host_resolv = *r;
  }
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& h : req.extra_hosts) extra.emplace_back(h.hostname, h.ip);
  const std::string hostname = task_hostname(req);
  if (req.mode == Mode::host) {
    out.resolv_conf = (req.dns_servers.empty() && req.dns_search.empty())
                          ? host_resolv
                          : render_resolv_conf({req.dns_servers, req.dns_search}, host_resolv);
    std::string hosts;
    if (auto r = read_file(cfg_.host_hosts)) hosts = *r;
    out.hosts = render_host_mode_hosts(hosts, extra);
  } else {
    out.resolv_conf = render_resolv_conf({req.dns_servers, req.dns_search}, host_resolv);
    out.hosts = render_hosts(hostname, rec.ip ? format_ipv4(rec.ip) : "", extra);
  }
  out.hostname = render_hostname(hostname);
  std::string dir = files_dir(rec.id);
  ECSD_TRY(make_dirs(dir, 0755));
  out.resolv_conf_path = dir + "/resolv.conf";
  out.hosts_path = dir + "/hosts";
  out.hostname_path = dir + "/hostname";
  ECSD_TRY(write_file_atomic(out.resolv_conf_path, out.resolv_conf, 0644));
  ECSD_TRY(write_file_atomic(out.hosts_path, out.hosts, 0644));
  ECSD_TRY(write_file_atomic(out.hostname_path, out.hostname, 0644));
  return {};
}

TaskNetwork Network::describe(const TaskRecord& rec) const {
  TaskNetwork n;
  n.id = rec.id;
  n.mode = parse_mode(rec.mode).value_or(Mode::bridge);
  n.bindings = rec.bindings;
  if (rec.mode != "host") n.netns_path = netns_path(rec.id);
  if (rec.mode == "bridge") {
    n.ip = format_ipv4(rec.ip);
    n.gateway = gateway();
    n.prefix_len = subnet_prefix_;
    n.interface_name = kTaskIf;
    n.host_veth = rec.host_veth;
    n.mtu = mtu_;
  }
  return n;
}

// Teardown in three steps so that Network::teardown can do the slow kernel
// work (deleting a veth waits for an RCU grace period) without the lock. The
// record stays until the last step, so its address and ports are not handed
// out while its objects still exist.
std::string Network::teardown_begin_locked(const std::string& id, std::optional<TaskRecord>& rec,
                                           std::vector<Error>& errors) {
  // A copy: the state is swapped and edited below.
  if (const TaskRecord* r = state_.find(id)) rec = *r;
  std::string veth = rec ? rec->host_veth : host_veth_name(cfg_.veth_prefix, cfg_.bridge_name, id);
  if (!rec)  // an unknown id: never delete a veth a recorded task owns (hash collision)
    for (const auto& t : state_.tasks)
      if (t.host_veth == veth) veth.clear();
  if (rec && rec->mode == "bridge" && !rec->bindings.empty()) {
    auto st = nft_->run(delete_bindings_script(cfg_.nft_table, rec->bindings), "removing port mappings");
    if (!st) {
      // An element was already gone: rewrite the table from the state without this task.
      State without = state_;
      without.erase(id);
      std::swap(state_, without);
      auto st2 = apply_table_locked();
      std::swap(state_, without);
      keep_error(errors, st2, "task " + id);
    }
  }
  return veth;
}

void Network::teardown_objects(const std::string& id, const std::string& veth, std::vector<Error>& errors) {
  if (veth.empty()) {
  } else if (auto nl = Netlink::open()) {
    auto st = nl->delete_link(veth);
    if (!st && st.error().code != ENODEV) keep_error(errors, st, "task " + id);
  } else {
    keep_error(errors, fail(nl.error()), "task " + id);
  }
  keep_error(errors, remove_named_netns(netns_path(id)), "task " + id);
  keep_error(errors, remove_files_dir(files_dir(id)), "task " + id);
}

void Network::teardown_end_locked(const std::string& id, const std::optional<TaskRecord>& rec,
                                  std::vector<Error>& errors) {
  if (rec) release_ports_locked(*rec);
  if (state_.erase(id)) keep_error(errors, save_locked(), "task " + id);
}

void Network::teardown_locked(const std::string& id, std::vector<Error>& errors) {
  std::optional<TaskRecord> rec;
  std::string veth = teardown_begin_locked(id, rec, errors);
  teardown_objects(id, veth, errors);
  teardown_end_locked(id, rec, errors);
}

Status Network::teardown(const std::string& id) {
  if (auto st = validate_task_id(id); !st) return st;
  std::vector<Error> errors;
  std::optional<TaskRecord> rec;
  std::string veth;
  {
    std::lock_guard lk(mu_);
    veth = teardown_begin_locked(id, rec, errors);
  }
  teardown_objects(id, veth, errors);
  {
    std::lock_guard lk(mu_);
    teardown_end_locked(id, rec, errors);
  }
  if (errors.empty()) return {};
  Error e = errors.front();
  for (size_t i = 1; i < errors.size(); ++i) e.message += "; " + errors[i].message;
  return fail(e.with_context("tearing down the network of task " + id));
}

RecoverReport Network::recover(const std::vector<std::string>& keep) {
  RecoverReport rep;
  std::lock_guard lk(mu_);
  auto kept = [&](const std::string& id) { return std::find(keep.begin(), keep.end(), id) != keep.end(); };
  std::vector<std::string> ids;
  for (const auto& t : state_.tasks) ids.push_back(t.id);
  auto host_nl = Netlink::open();
  for (const auto& id : ids) {
    const TaskRecord* t = state_.find(id);
    // Kept only if its namespace is still mounted and (bridge) its veth is
    // still on our bridge; otherwise the task's network is gone: remove the rest.
    bool intact = t->mode == "host" || is_named_netns(netns_path(id));
    if (intact && t->mode == "bridge" && host_nl) {
      auto idx = host_nl->link_index(t->host_veth);
      auto li = idx ? host_nl->link(*idx) : Result<LinkInfo>(std::unexpected(idx.error()));
      intact = li && li->master == bridge_index_;
    }
    if (kept(id) && intact) {
      rep.kept.push_back(id);
      continue;
    }
    teardown_locked(id, rep.errors);
    rep.removed.push_back(id);
  }
  // Orphans: namespaces, file folders and veths no recorded task owns.
  for (const auto& n : list_dir(cfg_.run_dir + "/netns")) {
    if (state_.find(n)) continue;
    keep_error(rep.errors, remove_named_netns(netns_path(n)), "orphan namespace " + n);
    rep.removed.push_back("netns:" + n);
  }
  for (const auto& n : list_dir(cfg_.run_dir + "/files")) {
    if (state_.find(n)) continue;
    keep_error(rep.errors, remove_files_dir(files_dir(n)), "orphan files of " + n);
  }
  if (auto nl = Netlink::open()) {
    if (auto links = nl->links()) {
      for (const auto& l : *links) {
        if (l.name.size() != std::min<size_t>(cfg_.veth_prefix.size(), 7) + 8 ||
            l.name.compare(0, cfg_.veth_prefix.size(), cfg_.veth_prefix) != 0 || l.kind != "veth")
          continue;
        if (l.master != 0 && l.master != bridge_index_) continue;  // someone else's
        bool owned = false;
        for (const auto& t : state_.tasks) owned = owned || t.host_veth == l.name;
        if (owned) continue;
        auto st = nl->delete_link(l.name);
        if (!st && st.error().code != ENODEV) keep_error(rep.errors, st, "orphan veth " + l.name);
        else rep.removed.push_back("veth:" + l.name);
      }
    } else {
      rep.errors.push_back(links.error());
    }
  } else {
    rep.errors.push_back(nl.error());
  }
  keep_error(rep.errors, apply_table_locked(), "recovering");
  return rep;
}

Result<InterfaceStats> Network::stats(const std::string& id) {
  std::string mode;
  {
    std::lock_guard lk(mu_);
    const TaskRecord* t = state_.find(id);
    if (!t) return fail_invalid("no network recorded for task " + id);
    mode = t->mode;
  }
  if (mode == "host")
    return fail_invalid("task " + id + " uses the host's network: it has no interface of its own");
  auto ns = open_named_netns(netns_path(id));
  if (!ns) return fail(ns.error());
  auto nl = Netlink::open_in(ns->get());
  if (!nl) return fail(nl.error());
  auto idx = nl->link_index(mode == "bridge" ? kTaskIf : "lo");
  if (!idx) return fail(idx.error().with_context("task " + id));
  auto c = nl->counters(*idx);
  if (!c) return fail(c.error().with_context("task " + id));
  return InterfaceStats{c->rx_bytes, c->rx_packets, c->rx_errors, c->rx_dropped,
                        c->tx_bytes, c->tx_packets, c->tx_errors, c->tx_dropped};
}

Result<TaskNetwork> Network::lookup(const std::string& id) {
  std::lock_guard lk(mu_);
  const TaskRecord* t = state_.find(id);
  if (!t) return fail_invalid("no network recorded for task " + id);
  TaskNetwork n = describe(*t);
  std::string dir = files_dir(id);
  n.resolv_conf_path = dir + "/resolv.conf";
  n.hosts_path = dir + "/hosts";
  n.hostname_path = dir + "/hostname";
  if (auto r = read_file(n.resolv_conf_path)) n.resolv_conf = *r;
  if (auto r = read_file(n.hosts_path)) n.hosts = *r;
  if (auto r = read_file(n.hostname_path)) n.hostname = *r;
  return n;
}

std::vector<std::string> Network::task_ids() {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (const auto& t : state_.tasks) out.push_back(t.id);
  return out;
}

Status Network::remove_all() {
  std::vector<Error> errors;
  {
    std::lock_guard lk(mu_);
    std::vector<std::string> ids;
    for (const auto& t : state_.tasks) ids.push_back(t.id);
    for (const auto& id : ids) teardown_locked(id, errors);
    keep_error(errors, nft_->run(delete_table_script(cfg_.nft_table), "deleting table"), "removing");
    keep_error(errors, remove_host_forward_accept(*nft_, cfg_.bridge_name), "removing");
    host_forward_done_ = false;
    if (auto nl = Netlink::open()) {
      auto st = nl->delete_link(cfg_.bridge_name);
      if (!st && st.error().code != ENODEV) keep_error(errors, st, "removing");
    }
    ::rmdir((cfg_.run_dir + "/netns").c_str());
    ::rmdir((cfg_.run_dir + "/files").c_str());
  }
  if (errors.empty()) return {};
  Error e = errors.front();
  for (size_t i = 1; i < errors.size(); ++i) e.message += "; " + errors[i].message;
  return fail(e);
}

}  // namespace ecsd::netns
