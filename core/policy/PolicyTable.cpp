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
      errors.push_back({{group.file, 0}, "policy group '" + group.name + "' has no conn of that name"});
    }
    table.bindings_.push_back(std::move(binding));
  }

  for (std::uint32_t g = 0; g < table.groups_.size(); ++g) {
    const auto& entries = table.groups_[g].entries;
    for (std::uint32_t e = 0; e < entries.size(); ++e) {
      const PolicyEntry& entry = entries[e];
      Family& family = entry.prefix.address().isV4() ? table.v4_ : table.v6_;
      std::uint32_t slotIndex = family.trie.slotFor(entry.prefix);
      if (slotIndex >= family.slots.size()) family.slots.resize(slotIndex + 1);
      Slot& slot = family.slots[slotIndex];

      // The same traffic in two groups would make the answer depend on file order.
      std::vector<std::uint32_t> existing = slot.specificRules;
      if (slot.plainRule != PrefixTrie::kNoSlot) existing.push_back(slot.plainRule);
      bool duplicate = false;
      for (std::uint32_t other : existing) {
        const Rule& rule = table.rules_[other];
        const PolicyEntry& earlier = table.entryOf(rule);
        if (!earlier.sameTraffic(entry)) continue;
        errors.push_back({entry.where, entry.toString() + " is already in group '" +
                                           table.groups_[rule.group].name + "' at " +
                                           earlier.where.toString() + "; an entry may be in one group only"});
        duplicate = true;
      }
      if (duplicate) continue;

      auto ruleIndex = static_cast<std::uint32_t>(table.rules_.size());
      table.rules_.push_back({g, e});
      if (!entry.hasProtocolOrPorts()) {
        slot.plainRule = ruleIndex;
      } else {
        slot.specificRules.push_back(ruleIndex);
        std::stable_sort(slot.specificRules.begin(), slot.specificRules.end(),
                         [&](std::uint32_t a, std::uint32_t b) {
                           return table.entryOf(table.rules_[a]).specificity() >
                                  table.entryOf(table.rules_[b]).specificity();
                         });
      }
    }
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

std::uint32_t PolicyTable::bestRuleIn(const Slot& slot, const TrafficQuery& query) const {
  if (query.protocol != 0) {
    for (std::uint32_t rule : slot.specificRules) {
      if (entryOf(rules_[rule]).matches(query.protocol, query.localPort, query.peerPort)) return rule;
    }
  }
  return slot.plainRule;
}

PolicyMatch PolicyTable::matchOf(std::uint32_t rule) const {
  if (rule == PrefixTrie::kNoSlot) return {};
  return {&entryOf(rules_[rule]), &bindings_[rules_[rule].group]};
}

PolicyMatch PolicyTable::lookup(const TrafficQuery& query) const {
  if (isOwnAddress(query.local, query.peer)) return {};
  const Family& family = familyOf(query.peer);
  std::uint32_t slot;
  if (query.protocol == 0) {
    // The common case (the address alone): only plain entries count.
    slot = family.trie.longestMatch(
        query.peer, [&](std::uint32_t s) { return family.slots[s].plainRule != PrefixTrie::kNoSlot; });
  } else {
    slot = family.trie.longestMatch(query.peer, [&](std::uint32_t s) {
      return bestRuleIn(family.slots[s], query) != PrefixTrie::kNoSlot;
    });
  }
  if (slot == PrefixTrie::kNoSlot) return {};
  return matchOf(bestRuleIn(family.slots[slot], query));
}

PolicyExplanation PolicyTable::explain(const TrafficQuery& query) const {
  PolicyExplanation explanation;
  explanation.query = query;
  explanation.peerIsOwnAddress = isOwnAddress(query.local, query.peer);
  const PolicyMatch winner = lookup(query);

  const Family& family = familyOf(query.peer);
  std::vector<std::uint32_t> candidates;  // shortest prefix first; at one prefix, most specific first
  family.trie.walk(query.peer, [&](int, std::uint32_t slotIndex) {
    const Slot& slot = family.slots[slotIndex];
    candidates.insert(candidates.end(), slot.specificRules.begin(), slot.specificRules.end());
    if (slot.plainRule != PrefixTrie::kNoSlot) candidates.push_back(slot.plainRule);
  });

  for (std::uint32_t rule : candidates) {
    PolicyExplanation::Candidate candidate;
    candidate.entry = &entryOf(rules_[rule]);
    candidate.group = &bindings_[rules_[rule].group];
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
    const Family& family = familyOf(own);
    bool covered = false;
    family.trie.walk(own, [&](int, std::uint32_t slotIndex) {
      const Slot& slot = family.slots[slotIndex];
      auto capturing = [&](std::uint32_t rule) {
        return bindings_[rules_[rule].group].action != PolicyAction::Pass;
      };
      if ((slot.plainRule != PrefixTrie::kNoSlot && capturing(slot.plainRule)) ||
          std::any_of(slot.specificRules.begin(), slot.specificRules.end(), capturing))
        covered = true;
    });
    if (covered) excluded.push_back(own);
  }
  return excluded;
}

std::size_t PolicyTable::memoryBytes() const {
  std::size_t bytes = v4_.trie.memoryBytes() + v6_.trie.memoryBytes();
  for (const Family* family : {&v4_, &v6_}) {
    bytes += family->slots.capacity() * sizeof(Slot);
    for (const auto& slot : family->slots) bytes += slot.specificRules.capacity() * sizeof(std::uint32_t);
  }
  bytes += rules_.capacity() * sizeof(Rule);
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
