// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/RequiredFeatures.hpp"

#include <algorithm>

namespace ikemesh::policy {

std::string authFeature(std::string_view method) {
  if (method == "rsasig" || method == "rsa-sha2") return "auth.rsasig";
  if (method == "ecdsa") return "auth.ecdsa";
  if (method == "null") return "auth.null";
  if (method == "secret") return "auth.psk";
  if (method == "never" || method.empty()) return "";
  return "auth." + std::string(method);
}

bool isStandardAuthFeature(std::string_view feature) {
  return feature == "auth.rsasig" || feature == "auth.ecdsa" || feature == "auth.null" ||
         feature == "auth.psk" || feature == "auth.dnssec";
}

std::vector<RequiredFeature> requiredFeatures(const Connection& connection, bool kernelHasEsp) {
  std::vector<RequiredFeature> features;
  if (connection.autoAction == AutoAction::Ignore) return features;
  auto add = [&](std::string feature, std::string key, std::string value) {
    if (feature.empty()) return;
    auto same = [&](const RequiredFeature& f) { return f.feature == feature; };
    if (std::none_of(features.begin(), features.end(), same))
      features.push_back({std::move(feature), std::move(key), std::move(value)});
  };

  if (!connection.isShunt() || connection.answersOpportunisticIke()) {
    auto addMethods = [&](const std::optional<std::string>& sideAuth, const char* sideKey) {
      if (sideAuth) {
        add(authFeature(*sideAuth), sideKey, *sideAuth);
        return;
      }
      for (const std::string& method : connection.authBy) add(authFeature(method), "authby", method);
    };
    // Our side signs with the method of leftauth= (or authby=).
    addMethods(connection.leftAuth, "leftauth");
    if (auto key = connection.value("leftrsasigkey"); key && (*key == "%dnsondemand" || *key == "%dns"))
      add("auth.dnssec", "leftrsasigkey", *key);
    // The peer's key comes from DNSSEC-validated IPSECKEY records, or by rightauth= / authby=.
    if (auto key = connection.value("rightrsasigkey"); key && (*key == "%dnsondemand" || *key == "%dns"))
      add("auth.dnssec", "rightrsasigkey", *key);
    else
      addMethods(connection.rightAuth, "rightauth");
  }

  DataplaneChoice dataplane = connection.dataplane;
  if (dataplane == DataplaneChoice::Auto)
    dataplane = kernelHasEsp ? DataplaneChoice::Xfrm : DataplaneChoice::Tun;
  add(dataplane == DataplaneChoice::Xfrm ? "dataplane.xfrm" : "dataplane.tun", connection.dataplaneKey,
      connection.dataplaneValue);
  return features;
}

std::vector<ConfigError> checkProviders(const std::vector<Connection>& connections,
                                        const std::set<std::string>& loadedFeatures, bool kernelHasEsp) {
  std::string loaded;
  for (const auto& feature : loadedFeatures) loaded += (loaded.empty() ? "" : ", ") + feature;
  if (loaded.empty()) loaded = "none";
  std::vector<ConfigError> errors;
  for (const auto& connection : connections) {
    for (const auto& need : requiredFeatures(connection, kernelHasEsp)) {
      if (loadedFeatures.contains(need.feature)) continue;
      errors.push_back({connection.where, "conn '" + connection.name + "': " + need.key + "=" + need.value +
                                              " needs a plugin that provides '" + need.feature +
                                              "'; loaded: " + loaded});
    }
  }
  return errors;
}

}  // namespace ikemesh::policy
