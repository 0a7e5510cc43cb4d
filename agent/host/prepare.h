// `ecsd prepare-host` / `ecsd cleanup-host`: the unit's ExecStartPre and
// ExecStopPost. Preparation is idempotent and writes a record of exactly what
// it changed (a JSON file under /run, so it goes away with the state it
// describes on reboot); cleanup undoes only what that record lists and only
// where the value is still the one we set.
//
// Changed:   net.ipv4.ip_forward=1 (kept on cleanup: containers outlive the
//            agent and need forwarding), route_localnet=1 on the listed
//            interfaces that exist (restored on cleanup, except on the task
//            bridge, whose running tasks need it), the nftables table
//            of agent/host/host_rules.h (deleted on cleanup), directories
//            (created if missing with their modes, never removed: they hold data).
#pragma once

#include <string>
#include <vector>

#include "agent/host/host_rules.h"
#include "common/error.h"

namespace ecsd::host {

struct DirSpec {
  std::string path;
  int mode = 0755;
};

struct PrepareOptions {
  HostRulesSpec rules;
  bool nft = true;          // install the table
  bool ip_forward = true;   // net.ipv4.ip_forward=1
  // route_localnet=1 on these interfaces if they exist now (the bridge is
  // created later by the agent, which sets it then).
  std::vector<std::string> route_localnet_interfaces{"ecs-br0"};
  std::vector<DirSpec> dirs;
  std::string record_path = "/run/ecsd/host-prepare.json";
  std::string proc_sys = "/proc/sys";  // for tests
};

struct SysctlChange {
  std::string key;       // "net/ipv4/ip_forward"
  std::string previous;  // value before the first prepare
  std::string value;     // value we wrote
  bool restore = true;   // cleanup writes `previous` back
};

struct Record {
  std::vector<SysctlChange> sysctls;
  std::string table;                  // nft table we created ("" = none)
  std::vector<std::string> dirs_created;
};

std::string record_to_json(const Record& r);
Result<Record> record_from_json(const std::string& text);

// Merges a new change into the record, keeping the earliest `previous` of a
// key (so a second prepare does not forget the host's original value). Pure.
void merge_change(Record& r, const SysctlChange& c);

// Lines describing what was done (for the journal).
Result<std::vector<std::string>> prepare_host(const PrepareOptions& o);
Result<std::vector<std::string>> cleanup_host(const std::string& record_path, const std::string& proc_sys = "/proc/sys");

}  // namespace ecsd::host
