// SPDX-License-Identifier: GPL-2.0-or-later
// What a reload changes (DESIGN.md §4: reload applies changes without dropping SAs that the
// change does not touch): conns added, removed or changed, and per policy group the entries
// added and removed, so that the daemon touches only those.
#pragma once

#include <string>
#include <vector>

#include "policy/Connection.hpp"
#include "policy/PolicyGroup.hpp"

namespace ikemesh::policy {

struct ConnectionChange {
  std::string name;
  std::vector<std::string> changedKeys;  ///< keys whose effective value differs (set, unset or changed)
};

struct GroupChange {
  std::string group;
  std::vector<PolicyEntry> added;    ///< in the new file's order, with the new locations
  std::vector<PolicyEntry> removed;  ///< with the old locations
};

struct ReloadDiff {
  std::vector<std::string> addedConnections;
  std::vector<std::string> removedConnections;
  std::vector<ConnectionChange> changedConnections;
  std::vector<std::string> changedSetupKeys;
  /// Only groups whose entries differ; a group that appears or disappears lists all its
  /// entries as added or removed.
  std::vector<GroupChange> changedGroups;

  bool empty() const {
    return addedConnections.empty() && removedConnections.empty() && changedConnections.empty() &&
           changedSetupKeys.empty() && changedGroups.empty();
  }
  /// One line per change, for the reload log and `ikemesh reload`; of a group's entries, at
  /// most 20 added and 20 removed are listed, then how many more.
  std::string toString() const;
};

/// Compares two loads. Conns are compared by their effective settings, entries by CIDR,
/// protocol and ports (a line that only moved within its file is no change).
ReloadDiff diffReload(const Config& oldConfig, const std::vector<PolicyGroup>& oldGroups,
                      const Config& newConfig, const std::vector<PolicyGroup>& newGroups);

}  // namespace ikemesh::policy
