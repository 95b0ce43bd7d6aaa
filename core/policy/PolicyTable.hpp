// SPDX-License-Identifier: GPL-2.0-or-later
// Every policy group entry in binary prefix tries, one set for IPv4 and one for IPv6 (each
// split into plain CIDRs and entries with protocol/ports), answering "which group, and so
// which conn, applies to traffic to this peer?" (DESIGN.md §2 steps 1, 3 and 7).
// The longest prefix wins; at the same length an entry with a protocol or ports wins over a
// plain CIDR. The node's own addresses never match, even inside a listed /16.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ikemesh/net.hpp>

#include "policy/ConfigError.hpp"
#include "policy/Connection.hpp"
#include "policy/PolicyGroup.hpp"
#include "policy/PrefixTrie.hpp"

namespace ikemesh::policy {

/// What the dataplane installs for a group's entries.
enum class PolicyAction : std::uint8_t {
  Trap,   ///< type=tunnel|transport: IKE on the first packet
  Pass,   ///< type=passthrough: clear text
  Block,  ///< type=drop|reject
};
std::string_view toString(PolicyAction action);

/// A group and the conn it belongs to.
struct PolicyGroupBinding {
  std::string group;
  std::string connection;
  ConnectionType type = ConnectionType::Tunnel;
  PolicyAction action = PolicyAction::Trap;
  std::string file;
};

/// The traffic asked about: from our `local` address to `peer`. Protocol 0 asks about the
/// address alone (only plain CIDR entries match it).
struct TrafficQuery {
  IpAddress local;
  IpAddress peer;
  std::uint8_t protocol = 0;
  std::uint16_t localPort = 0;
  std::uint16_t peerPort = 0;
};

/// The entry that applies, and its group; both null when nothing does.
struct PolicyMatch {
  const PolicyEntry* entry = nullptr;
  const PolicyGroupBinding* group = nullptr;
  explicit operator bool() const { return entry != nullptr; }
};

/// Why a query got its answer, for `ikemesh policy IP`.
struct PolicyExplanation {
  struct Candidate {
    const PolicyEntry* entry = nullptr;
    const PolicyGroupBinding* group = nullptr;
    std::string whyLost;  ///< empty for the winner
  };
  TrafficQuery query;
  bool peerIsOwnAddress = false;
  std::optional<Candidate> winner;
  /// Every other entry whose prefix contains the peer, shortest prefix first.
  std::vector<Candidate> lost;

  /// A few lines for a human: the query, the winner (group, CIDR, conn, file:line), and
  /// each candidate that lost with the reason.
  std::string toString() const;
};

class PolicyTable {
 public:
  /// Builds the tables of `groups`, each bound to the conn of the same name in `config`.
  /// The same entry (CIDR, protocol, ports) in two groups is an error naming both lines.
  static ConfigResult<PolicyTable> build(const Config& config, std::vector<PolicyGroup> groups);

  /// The node's own addresses: traffic to them never matches a group.
  void setLocalAddresses(std::vector<IpAddress> addresses);

  /// The entry that applies to `query`, or an empty match (no group, or the peer is one of
  /// our own addresses). Thread-safe for concurrent readers.
  PolicyMatch lookup(const TrafficQuery& query) const;

  /// The same answer as lookup(), with the candidates that lost and why.
  PolicyExplanation explain(const TrafficQuery& query) const;

  /// Whether `peer` is the node's own address (one of the local addresses, or `local`).
  bool isOwnAddress(const IpAddress& local, const IpAddress& peer) const;

  /// Our own addresses that fall inside a group with the Trap or Block action: the daemon
  /// installs a pass policy for each, so that a listed /16 does not capture ourselves.
  std::vector<IpAddress> ownAddressesToExclude() const;

  const std::vector<PolicyGroup>& groups() const { return groups_; }
  const std::vector<PolicyGroupBinding>& bindings() const { return bindings_; }
  std::size_t entryCount() const { return entryCount_; }
  /// A rough figure of the memory the tables take, for the benchmark and `status`.
  std::size_t memoryBytes() const;

 private:
  PolicyTable();

  // An entry by position: groups_[group].entries[entry]. Indices, not pointers, so that a
  // copied table stays valid.
  struct Rule {
    std::uint32_t group;
    std::uint32_t entry;
  };
  // Plain CIDRs and entries with protocol/ports live in separate tries: the address-only
  // lookup (the hot path: traps and acquires) then accepts every prefix its trie holds and
  // reads nothing beside the trie until it has its answer.
  struct Family {
    explicit Family(IpAddress::Family family) : plain(family), specific(family) {}
    PrefixTrie plain;
    std::vector<Rule> plainRules;  // by slot of `plain`: one rule per prefix
    PrefixTrie specific;
    std::vector<std::vector<Rule>> specificRules;  // by slot of `specific`: most specific first
  };

  const Family& familyOf(const IpAddress& address) const { return address.isV4() ? v4_ : v6_; }
  const PolicyEntry& entryOf(const Rule& rule) const { return groups_[rule.group].entries[rule.entry]; }
  PolicyMatch matchOf(const Rule& rule) const {
    return {&groups_[rule.group].entries[rule.entry], &bindings_[rule.group]};
  }
  // The most specific rule of a `specific` slot that matches the query, or nullptr.
  const Rule* bestSpecificRule(const Family& family, std::uint32_t slot, const TrafficQuery& query) const;
  // Every rule whose prefix contains the peer, shortest prefix first; at one prefix the most
  // specific first, the plain CIDR last.
  std::vector<Rule> candidates(const TrafficQuery& query) const;

  std::vector<PolicyGroup> groups_;  // owns the entries
  std::vector<PolicyGroupBinding> bindings_;
  std::size_t entryCount_ = 0;
  Family v4_;
  Family v6_;
  std::vector<IpAddress> localAddresses_;  // sorted
};

}  // namespace ikemesh::policy
