#include "agent/host/prepare.h"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "netns/nft.h"

namespace ecsd::host {

namespace {

Result<std::string> read_sysctl(const std::string& proc_sys, const std::string& key) {
  auto v = read_file(proc_sys + "/" + key);
  if (!v) return fail(v.error().with_context("reading sysctl"));
  return std::string(trim(*v));
}

Status write_sysctl(const std::string& proc_sys, const std::string& key, const std::string& value) {
  auto st = write_existing_file(proc_sys + "/" + key, value);
  if (!st) return fail(st.error().with_context("setting sysctl " + key + "=" + value));
  return {};
}

bool exists(const std::string& p) {
  struct stat sb{};
  return ::stat(p.c_str(), &sb) == 0;
}

std::string dirname_of(const std::string& p) {
  auto s = p.rfind('/');
  if (s == std::string::npos) return ".";
  return s == 0 ? "/" : p.substr(0, s);
}

// Sets key=value, recording the change; no-op (and no record) if already equal.
Status set_sysctl(const PrepareOptions& o, Record& rec, std::vector<std::string>& log, const std::string& key,
                  const std::string& value, bool restore) {
  auto cur = read_sysctl(o.proc_sys, key);
  if (!cur) return fail(cur.error());
  if (*cur == value) {
    log.push_back("sysctl " + key + " already " + value);
    return {};
  }
  ECSD_TRY(write_sysctl(o.proc_sys, key, value));
  merge_change(rec, SysctlChange{key, *cur, value, restore});
  log.push_back("sysctl " + key + ": " + *cur + " -> " + value);
  return {};
}

}  // namespace

std::string record_to_json(const Record& r) {
  nlohmann::json j;
  j["version"] = 1;
  j["sysctls"] = nlohmann::json::array();
  for (const auto& c : r.sysctls)
    j["sysctls"].push_back({{"key", c.key}, {"previous", c.previous}, {"value", c.value}, {"restore", c.restore}});
  j["table"] = r.table;
  j["dirs_created"] = r.dirs_created;
  return j.dump(2) + "\n";
}

Result<Record> record_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("host preparation record is not a JSON object");
  Record r;
  try {
    for (const auto& c : j.value("sysctls", nlohmann::json::array()))
      r.sysctls.push_back(SysctlChange{c.at("key").get<std::string>(), c.at("previous").get<std::string>(),
                                       c.at("value").get<std::string>(), c.value("restore", true)});
    r.table = j.value("table", std::string());
    r.dirs_created = j.value("dirs_created", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    return fail_invalid(std::string("host preparation record: ") + e.what());
  }
  for (const auto& c : r.sysctls)
    if (c.key.empty() || c.key.find("..") != std::string::npos || c.key[0] == '/')
      return fail_invalid("host preparation record: bad sysctl key '" + c.key + "'");
  return r;
}

void merge_change(Record& r, const SysctlChange& c) {
  for (auto& e : r.sysctls) {
    if (e.key != c.key) continue;
    e.value = c.value;  // keep e.previous: the host's original value
    e.restore = c.restore;
    return;
  }
  r.sysctls.push_back(c);
}

Result<std::vector<std::string>> prepare_host(const PrepareOptions& o) {
  std::vector<std::string> log;
  if (o.nft) {
    if (auto bad = validate(o.rules); !bad.empty()) return fail_invalid("prepare-host: " + bad);
  }
  for (const auto& i : o.route_localnet_interfaces)
    if (i.empty() || i.size() > 15 || i.find('/') != std::string::npos || i == "." || i == "..")
      return fail_invalid("prepare-host: invalid interface name '" + i + "'");

  Record rec;
  if (auto text = read_file(o.record_path)) {
    auto r = record_from_json(*text);
    if (!r) return fail(r.error().with_context("reading " + o.record_path));
    rec = std::move(*r);
  }

  // Directories first: the record lives in one of them.
  std::vector<DirSpec> dirs = o.dirs;
  dirs.push_back(DirSpec{dirname_of(o.record_path), 0755});
  for (const auto& d : dirs) {
    if (exists(d.path)) continue;
    ECSD_TRY(make_dirs(d.path, d.mode));
    if (::chmod(d.path.c_str(), static_cast<mode_t>(d.mode)) != 0) return fail_sys(errno, "chmod", d.path);
    rec.dirs_created.push_back(d.path);
    log.push_back("created directory " + d.path);
  }

  if (o.ip_forward) ECSD_TRY(set_sysctl(o, rec, log, "net/ipv4/ip_forward", "1", false));
  for (const auto& i : o.route_localnet_interfaces) {
    std::string key = "net/ipv4/conf/" + i + "/route_localnet";
    if (!exists(o.proc_sys + "/" + key)) {
      log.push_back("interface " + i + " absent; route_localnet is set when it is created");
      continue;
    }
    // The task bridge keeps it: running containers' port mappings from
    // localhost need it while the agent is stopped. Other interfaces are restored.
    ECSD_TRY(set_sysctl(o, rec, log, key, "1", i != o.rules.bridge));
  }

  if (o.nft) {
    auto nft = netns::Nft::create();
    if (!nft) return fail(nft.error().with_context("prepare-host"));
    // Record the table before creating it: a crash in between leaves a record
    // that makes cleanup delete a table that may not exist (harmless).
    rec.table = o.rules.table;
    ECSD_TRY(write_file_atomic(o.record_path, record_to_json(rec), 0644));
    ECSD_TRY(nft->run(host_table_script(o.rules), "installing nftables table ip " + o.rules.table));
    log.push_back("nftables table ip " + o.rules.table + " installed (" + o.rules.metadata_ip + ":" +
                  std::to_string(o.rules.metadata_port) + " -> " + o.rules.agent_ip + ":" +
                  std::to_string(o.rules.agent_port) + ", localhost filter)");
  }
  ECSD_TRY(write_file_atomic(o.record_path, record_to_json(rec), 0644));
  return log;
}

Result<std::vector<std::string>> cleanup_host(const std::string& record_path, const std::string& proc_sys) {
  std::vector<std::string> log;
  auto text = read_file(record_path);
  if (!text) {
    if (text.error().code == ENOENT) {
      log.push_back("no host preparation record at " + record_path + "; nothing to clean up");
      return log;
    }
    return fail(text.error());
  }
  auto rec = record_from_json(*text);
  if (!rec) return fail(rec.error().with_context("reading " + record_path));

  if (!rec->table.empty()) {
    if (auto bad = validate(HostRulesSpec{.table = rec->table}); !bad.empty())
      return fail_invalid("cleanup-host: " + bad);
    auto nft = netns::Nft::create();
    if (!nft) return fail(nft.error().with_context("cleanup-host"));
    ECSD_TRY(nft->run(delete_host_table_script(rec->table), "deleting nftables table ip " + rec->table));
    log.push_back("nftables table ip " + rec->table + " deleted");
  }
  for (const auto& c : rec->sysctls) {
    if (!c.restore) {
      log.push_back("sysctl " + c.key + " left at " + c.value + " (running containers need it)");
      continue;
    }
    auto cur = read_sysctl(proc_sys, c.key);
    if (!cur) {
      log.push_back("sysctl " + c.key + " gone; nothing to restore");
      continue;
    }
    if (*cur != c.value) {
      log.push_back("sysctl " + c.key + " is " + *cur + ", changed by someone else since; left alone");
      continue;
    }
    ECSD_TRY(write_sysctl(proc_sys, c.key, c.previous));
    log.push_back("sysctl " + c.key + " restored to " + c.previous);
  }
  if (::unlink(record_path.c_str()) != 0 && errno != ENOENT) return fail_sys(errno, "unlink", record_path);
  return log;
}

}  // namespace ecsd::host
