// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/MeshPolicy.hpp"

namespace ikemesh::policy {

ConfigResult<MeshPolicy> loadMeshPolicy(const std::string& mainConfigFile, const ConfigSchema& schema,
                                        const std::string& policiesFolder, const HostnameResolver& resolver) {
  auto config = ConfigLoader(schema).loadFile(mainConfigFile);
  if (!config) return config.errors();
  auto groups =
      loadPolicyGroups(*config, policiesFolder.empty() ? policiesFolderFor(mainConfigFile) : policiesFolder);
  if (!groups) return groups.errors();
  auto table = PolicyTable::build(*config, std::move(groups).value());
  if (!table) return table.errors();
  auto explicitConnections = ExplicitConnectionTable::build(*config, resolver);
  if (!explicitConnections) return explicitConnections.errors();
  return MeshPolicy{std::move(config).value(), std::move(table).value(),
                    std::move(explicitConnections).value()};
}

ReloadDiff diffReload(const MeshPolicy& before, const MeshPolicy& after) {
  return diffReload(before.config, before.table.groups(), after.config, after.table.groups());
}

}  // namespace ikemesh::policy
