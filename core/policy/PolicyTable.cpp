// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/PolicyTable.hpp"

#include <algorithm>

namespace ikemesh::policy {

namespace {

PolicyAction actionOf(ConnectionType type) {
  switch (type) {
    case ConnectionType::Passthrough: return PolicyAction::Pass;
    case ConnectionType::Drop:
    case ConnectionType::Reject: return PolicyAction::Block;
    case ConnectionType::Tunnel:
    case ConnectionType::Transport: return PolicyAction::Trap;
  }
  return PolicyAction::Trap;
}

std::string describeTraffic(std::uint8_t protocol, std::uint16_t localPort, std::uint16_t peerPort) {
  if (protocol == 0) return "any protocol";
  return protocolName(protocol) + " from port " + (localPort ? std::to_string(localPort) : "any") +
         " to port " + (peerPort ? std::to_string(peerPort) : "any");
}

}  // namespace

std::string_view toString(PolicyAction action) {
  switch (action) {
    case PolicyAction::Trap: return "trap";
    case PolicyAction::Pass: return "pass";
    case PolicyAction::Block: return "block";
  }
  return "?";
}

PolicyTable::PolicyTable() : v4_(IpAddress::Family::V4), v6_(IpAddress::Family::V6) {}

ConfigResult<PolicyTable> PolicyTable::build(const Config& config, std::vector<PolicyGroup> groups) {
  PolicyTable table;
  std::vector<ConfigError> errors;
  table.groups_ = std::move(groups);
  for (const auto& group : table.groups_) {
    PolicyGroupBinding binding;
    binding.group = group.name;
    binding.connection = group.name;
    binding.file = group.file;
    if (const Connection* connection = config.find(group.name)) {
      binding.type = connection->type;
      binding.action = actionOf(connection->type);
    } else {
      errors.push_back(fileError(group.file, "policy group '" + group.name + "' has no conn of that name"));
    }
    table.bindings_.push_back(std::move(binding));
  }

  for (std::uint32_t g = 0; g < table.groups_.size(); ++g) {
    const auto& entries = table.groups_[g].entries;
    for (std::uint32_t e = 0; e < entries.size(); ++e) {
      const PolicyEntry& entry = entries[e];
      Family& family = entry.prefix.address().isV4() ? table.v4_ : table.v6_;
      // The same traffic in two groups would make the answer depend on file order.
      auto clash = [&](const Rule& earlier) {
        errors.push_back({entry.where, entry.toString() + " is already in group '" +
                                           table.groups_[earlier.group].name + "' at " +
                                           table.entryOf(earlier).where.toString() +
                                           "; an entry may be in one group only"});
      };
      if (!entry.hasProtocolOrPorts()) {
        std::uint32_t slot = family.plain.slotFor(entry.prefix);
        if (slot < family.plainRules.size()) {
          clash(family.plainRules[slot]);
          continue;
        }
        family.plainRules.push_back({g, e});  // slots are handed out in order: slot == size
      } else {
        std::uint32_t slot = family.specific.slotFor(entry.prefix);
        if (slot >= family.specificRules.size()) family.specificRules.resize(slot + 1);
        auto& rules = family.specificRules[slot];
        auto same = std::find_if(rules.begin(), rules.end(),
                                 [&](const Rule& r) { return table.entryOf(r).sameTraffic(entry); });
        if (same != rules.end()) {
          clash(*same);
          continue;
        }
        rules.push_back({g, e});
        std::stable_sort(rules.begin(), rules.end(), [&](const Rule& a, const Rule& b) {
          return table.entryOf(a).specificity() > table.entryOf(b).specificity();
        });
      }
      ++table.entryCount_;
    }
  }
  for (Family* family : {&table.v4_, &table.v6_}) {
    family->plain.buildIndex();
    family->specific.buildIndex();
  }
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
      return a.where.file != b.where.file ? a.where.file < b.where.file : a.where.line < b.where.line;
    });
    return errors;
  }
  return table;
}

void PolicyTable::setLocalAddresses(std::vector<IpAddress> addresses) {
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  localAddresses_ = std::move(addresses);
}

bool PolicyTable::isOwnAddress(const IpAddress& local, const IpAddress& peer) const {
  return peer == local || std::binary_search(localAddresses_.begin(), localAddresses_.end(), peer);
}

const PolicyTable::Rule* PolicyTable::bestSpecificRule(const Family& family, std::uint32_t slot,
                                                       const TrafficQuery& query) const {
  for (const Rule& rule : family.specificRules[slot]) {
    if (entryOf(rule).matches(query.protocol, query.localPort, query.peerPort)) return &rule;
  }
  return nullptr;
}

PolicyMatch PolicyTable::lookup(const TrafficQuery& query) const {
  if (isOwnAddress(query.local, query.peer)) return {};
  const Family& family = familyOf(query.peer);
  // Every prefix of the plain trie holds a plain rule, so any prefix is accepted.
  const std::uint32_t plainSlot = family.plain.longestMatch(query.peer, [](std::uint32_t) { return true; });
  const Rule* plain = plainSlot == PrefixTrie::kNoSlot ? nullptr : &family.plainRules[plainSlot];
  if (query.protocol == 0 || family.specificRules.empty()) return plain ? matchOf(*plain) : PolicyMatch{};

  // Entries with protocol/ports win over a plain CIDR of the same length, not over a longer one.
  const std::uint32_t specificSlot = family.specific.longestMatch(
      query.peer, [&](std::uint32_t slot) { return bestSpecificRule(family, slot, query) != nullptr; });
  if (specificSlot == PrefixTrie::kNoSlot) return plain ? matchOf(*plain) : PolicyMatch{};
  const Rule* specific = bestSpecificRule(family, specificSlot, query);
  if (plain && entryOf(*plain).prefix.length() > entryOf(*specific).prefix.length()) return matchOf(*plain);
  return matchOf(*specific);
}

std::vector<PolicyTable::Rule> PolicyTable::candidates(const TrafficQuery& query) const {
  const Family& family = familyOf(query.peer);
  std::vector<std::pair<int, Rule>> found;  // (prefix length * 2 + 1 for plain, rule)
  family.specific.walk(query.peer, [&](int length, std::uint32_t slot) {
    for (const Rule& rule : family.specificRules[slot]) found.emplace_back(length * 2, rule);
  });
  family.plain.walk(query.peer, [&](int length, std::uint32_t slot) {
    found.emplace_back(length * 2 + 1, family.plainRules[slot]);
  });
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Rule> rules;
  for (const auto& [order, rule] : found) rules.push_back(rule);
  return rules;
}

PolicyExplanation PolicyTable::explain(const TrafficQuery& query) const {
  PolicyExplanation explanation;
  explanation.query = query;
  explanation.peerIsOwnAddress = isOwnAddress(query.local, query.peer);
  const PolicyMatch winner = lookup(query);

  for (const Rule& rule : candidates(query)) {
    PolicyExplanation::Candidate candidate;
    candidate.entry = &entryOf(rule);
    candidate.group = &bindings_[rule.group];
    if (candidate.entry == winner.entry) {
      explanation.winner = std::move(candidate);
      continue;
    }
    const PolicyEntry& entry = *candidate.entry;
    if (explanation.peerIsOwnAddress) {
      candidate.whyLost =
          query.peer.toString() + " is one of this node's own addresses, which never match a group";
    } else if (!entry.matches(query.protocol, query.localPort, query.peerPort)) {
      candidate.whyLost =
          "applies only to " + describeTraffic(entry.protocol, entry.localPort, entry.peerPort) +
          "; the query is " + describeTraffic(query.protocol, query.localPort, query.peerPort);
    } else if (winner && entry.prefix.length() < winner.entry->prefix.length()) {
      candidate.whyLost = "shorter prefix (/" + std::to_string(entry.prefix.length()) +
                          ") than the winner's (/" + std::to_string(winner.entry->prefix.length()) + ")";
    } else {
      candidate.whyLost = "same prefix as the winner, which names more of protocol and ports";
    }
    explanation.lost.push_back(std::move(candidate));
  }
  return explanation;
}

std::string PolicyExplanation::toString() const {
  std::string text = "peer " + query.peer.toString() + " from " + query.local.toString();
  if (query.protocol != 0) text += ", " + describeTraffic(query.protocol, query.localPort, query.peerPort);
  text += "\n";
  auto describe = [](const Candidate& c) {
    return "group '" + c.group->group + "' " + c.entry->toString() + " -> conn '" + c.group->connection +
           "' (" + std::string(policy::toString(c.group->action)) + ") at " + c.entry->where.toString();
  };
  if (winner)
    text += "  applies: " + describe(*winner) + "\n";
  else if (peerIsOwnAddress)
    text += "  applies: nothing; the peer is one of this node's own addresses\n";
  else
    text += "  applies: nothing; no group lists the peer\n";
  for (const auto& candidate : lost)
    text += "  lost: " + describe(candidate) + ": " + candidate.whyLost + "\n";
  return text;
}

std::vector<IpAddress> PolicyTable::ownAddressesToExclude() const {
  std::vector<IpAddress> excluded;
  for (const auto& own : localAddresses_) {
    TrafficQuery query{own, own};
    for (const Rule& rule : candidates(query)) {
      if (bindings_[rule.group].action != PolicyAction::Pass) {
        excluded.push_back(own);
        break;
      }
    }
  }
  return excluded;
}

std::size_t PolicyTable::memoryBytes() const {
  std::size_t bytes = 0;
  for (const Family* family : {&v4_, &v6_}) {
    bytes += family->plain.memoryBytes() + family->specific.memoryBytes();
    bytes += family->plainRules.capacity() * sizeof(Rule);
    bytes += family->specificRules.capacity() * sizeof(std::vector<Rule>);
    for (const auto& rules : family->specificRules) bytes += rules.capacity() * sizeof(Rule);
  }
  for (const auto& group : groups_) {
    bytes += group.entries.capacity() * sizeof(PolicyEntry);
    for (const auto& entry : group.entries) {
      if (entry.where.file.capacity() > 15)
        bytes += entry.where.file.capacity() + 1;  // beyond the inline buffer
    }
  }
  return bytes;
}

}  // namespace ikemesh::policy
