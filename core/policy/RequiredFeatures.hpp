// SPDX-License-Identifier: GPL-2.0-or-later
// Which plugin features a conn needs (DESIGN.md §3, "Selection per connection"), and the
// check that every loaded conn finds a provider among the loaded plugins.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "policy/ConfigError.hpp"
#include "policy/Connection.hpp"

namespace ikemesh::policy {

/// One feature a conn needs, with the key=value that asked for it (for the error message).
struct RequiredFeature {
  std::string feature;  ///< "auth.rsasig", "dataplane.tun", ...
  std::string key;      ///< "authby", "rightrsasigkey", "dataplane", ...
  std::string value;    ///< "rsasig", "%dnsondemand", "auto", ...

  friend bool operator==(const RequiredFeature&, const RequiredFeature&) = default;
};

/// The feature that implements an authentication method: rsasig and rsa-sha2 -> auth.rsasig,
/// ecdsa -> auth.ecdsa, null -> auth.null, secret -> auth.psk; never -> "" (no IKE); any
/// other name is a plugin's method, NAME -> auth.NAME (ConfigSchema::addAuthMethod()).
std::string authFeature(std::string_view method);

/// Whether `feature` is one the standard method names (or rightrsasigkey=%dnsondemand) map
/// to, so that a plugin providing it adds no new method name.
bool isStandardAuthFeature(std::string_view feature);

/// The features `connection` needs, without duplicates, in a stable order (auth first, then
/// the dataplane). A conn with auto=ignore needs nothing. Shunt conns (passthrough, drop,
/// reject) and authby=never need no auth plugin, but still a dataplane to install their
/// policies. dataplane=auto resolves to xfrm when `kernelHasEsp`, else tun.
std::vector<RequiredFeature> requiredFeatures(const Connection& connection, bool kernelHasEsp);

/// One error per missing provider, at the conn's `conn NAME` line:
/// "conn 'private': authby=rsasig needs a plugin that provides 'auth.rsasig'; loaded:
/// auth.null, dataplane.tun".
std::vector<ConfigError> checkProviders(const std::vector<Connection>& connections,
                                        const std::set<std::string>& loadedFeatures, bool kernelHasEsp);

}  // namespace ikemesh::policy
