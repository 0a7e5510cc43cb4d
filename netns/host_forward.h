// The one place ecsd adds a rule outside its own nftables table.
//
// On a host whose iptables FORWARD chain has policy DROP (Docker sets this),
// every forwarded packet of the bridge would be dropped there: in nftables an
// `accept` in ecsd's own table only ends that table's chain, while a drop in
// any other base chain on the same hook is final. So, only when such a chain
// exists and its policy is DROP, ecsd inserts two ACCEPT rules for its bridge
// into it (`-i BRIDGE` and `-o BRIDGE`, tagged with the comment "ecsd:BRIDGE"),
// through the iptables tool of that backend (iptables-nft or iptables-legacy)
// so the chain stays readable by that tool. The policy and every other rule
// are left alone; ecsd's own forward chain still decides what may enter the
// bridge (replies and mapped ports only). remove_host_forward_accept() takes
// exactly those rules out again.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace ecsd::netns {

class Nft;

struct HostForwardResult {
  std::vector<std::string> backends;  // backends whose FORWARD policy is DROP and now accept the bridge
};

// Idempotent (checks each rule with -C before inserting it).
Result<HostForwardResult> ensure_host_forward_accept(Nft& nft, const std::string& bridge);
// Removes the tagged rules from every backend where they exist.
Status remove_host_forward_accept(Nft& nft, const std::string& bridge);

// Whether the nftables-backed iptables FORWARD chain (table ip filter) exists
// with policy drop (a cheap libnftables query, no helper process).
bool nft_forward_policy_drop(Nft& nft);

}  // namespace ecsd::netns
