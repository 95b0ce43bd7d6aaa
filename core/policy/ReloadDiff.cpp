// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ReloadDiff.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace ikemesh::policy {

namespace {

/// Entries of one group listed by ReloadDiff::toString() in each direction.
constexpr std::size_t kListedEntriesPerGroup = 20;

std::vector<std::string> changedKeys(const std::map<std::string, std::string>& before,
                                     const std::map<std::string, std::string>& after) {
  std::set<std::string> keys;
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    if (it == after.end() || it->second != value) keys.insert(key);
  }
  for (const auto& [key, value] : after) {
    if (!before.contains(key)) keys.insert(key);
  }
  return {keys.begin(), keys.end()};
}

const PolicyGroup* findGroup(const std::vector<PolicyGroup>& groups, const std::string& name) {
  for (const auto& group : groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

// Entries of `from` with no entry of the same traffic in `other`.
std::vector<PolicyEntry> missingFrom(const std::vector<PolicyEntry>& from,
                                     const std::vector<PolicyEntry>& other) {
  std::set<decltype(PolicyEntry{}.trafficKey())> present;
  for (const auto& entry : other) present.insert(entry.trafficKey());
  std::vector<PolicyEntry> missing;
  for (const auto& entry : from) {
    if (!present.contains(entry.trafficKey())) missing.push_back(entry);
  }
  return missing;
}

}  // namespace

ReloadDiff diffReload(const Config& oldConfig, const std::vector<PolicyGroup>& oldGroups,
                      const Config& newConfig, const std::vector<PolicyGroup>& newGroups) {
  ReloadDiff diff;
  for (const auto& connection : oldConfig.connections) {
    const Connection* after = newConfig.find(connection.name);
    if (after == nullptr) {
      diff.removedConnections.push_back(connection.name);
      continue;
    }
    auto keys = changedKeys(connection.settings, after->settings);
    if (!keys.empty()) diff.changedConnections.push_back({connection.name, std::move(keys)});
  }
  for (const auto& connection : newConfig.connections) {
    if (oldConfig.find(connection.name) == nullptr) diff.addedConnections.push_back(connection.name);
  }
  diff.changedSetupKeys = changedKeys(oldConfig.setup.settings, newConfig.setup.settings);

  static const std::vector<PolicyEntry> kNone;
  auto compareGroup = [&](const std::string& name) {
    const PolicyGroup* before = findGroup(oldGroups, name);
    const PolicyGroup* after = findGroup(newGroups, name);
    const auto& beforeEntries = before ? before->entries : kNone;
    const auto& afterEntries = after ? after->entries : kNone;
    GroupChange change{name, missingFrom(afterEntries, beforeEntries),
                       missingFrom(beforeEntries, afterEntries)};
    if (!change.added.empty() || !change.removed.empty()) diff.changedGroups.push_back(std::move(change));
  };
  for (const auto& group : oldGroups) compareGroup(group.name);
  for (const auto& group : newGroups) {
    if (findGroup(oldGroups, group.name) == nullptr) compareGroup(group.name);
  }
  return diff;
}

std::string ReloadDiff::toString() const {
  std::string text;
  auto line = [&](const std::string& s) { text += s + "\n"; };
  for (const auto& name : addedConnections) line("conn '" + name + "' added");
  for (const auto& name : removedConnections) line("conn '" + name + "' removed");
  for (const auto& change : changedConnections) {
    std::string keys;
    for (const auto& key : change.changedKeys) keys += (keys.empty() ? "" : ", ") + key;
    line("conn '" + change.name + "' changed: " + keys);
  }
  for (const auto& key : changedSetupKeys) line("config setup: " + key + " changed");
  // Each entry up to a limit per group and direction, then how many more: a policy file
  // rewritten whole changes 100,000 entries, and this text goes to the log and to `ikemesh
  // reload`, whose reply the control socket caps (bench/policy_reload.sh).
  auto entries = [&](const GroupChange& change, const std::vector<PolicyEntry>& list, char sign,
                     const char* what) {
    const std::size_t listed = std::min(list.size(), kListedEntriesPerGroup);
    for (std::size_t i = 0; i < listed; ++i)
      line("group '" + change.group + "': " + sign + " " + list[i].toString());
    if (list.size() > listed)
      line("group '" + change.group + "': " + sign + " " + std::to_string(list.size() - listed) +
           " more entries " + what);
  };
  for (const auto& change : changedGroups) {
    entries(change, change.added, '+', "added");
    entries(change, change.removed, '-', "removed");
  }
  return text;
}

}  // namespace ikemesh::policy
