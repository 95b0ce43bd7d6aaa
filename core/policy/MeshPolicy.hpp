// SPDX-License-Identifier: GPL-2.0-or-later
// Everything the daemon loads from /etc/ikemesh at start and on reload: the config, and the
// policy groups of its opportunistic conns in their lookup tables.
#pragma once

#include <string>

#include "policy/ConfigError.hpp"
#include "policy/ConfigLoader.hpp"
#include "policy/ExplicitConnectionTable.hpp"
#include "policy/PolicyTable.hpp"
#include "policy/ReloadDiff.hpp"

namespace ikemesh::policy {

struct MeshPolicy {
  Config config;
  PolicyTable table;  ///< holds the groups too: table.groups()
  /// The conns with a fixed peer (right= an address or hostname, resolved at load).
  ExplicitConnectionTable explicitConnections;
};

/// Loads `mainConfigFile` (with its includes) and the policy groups of its conns from
/// `policiesFolder` (empty: the `policies` folder beside the main file), then builds the
/// lookup tables. Every error of every file is returned, each with its file:line.
ConfigResult<MeshPolicy> loadMeshPolicy(const std::string& mainConfigFile, const ConfigSchema& schema,
                                        const std::string& policiesFolder = {},
                                        const HostnameResolver& resolver = resolveWithGetaddrinfo);

/// What changed between two loads (see diffReload in ReloadDiff.hpp).
ReloadDiff diffReload(const MeshPolicy& before, const MeshPolicy& after);

}  // namespace ikemesh::policy
