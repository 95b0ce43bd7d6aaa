// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/Connection.hpp"

#include <algorithm>

namespace ikemesh::policy {

std::string_view toString(AutoAction value) {
  switch (value) {
    case AutoAction::Ignore: return "ignore";
    case AutoAction::Add: return "add";
    case AutoAction::Start: return "start";
    case AutoAction::OnDemand: return "ondemand";
  }
  return "?";
}

std::string_view toString(ConnectionType value) {
  switch (value) {
    case ConnectionType::Tunnel: return "tunnel";
    case ConnectionType::Transport: return "transport";
    case ConnectionType::Passthrough: return "passthrough";
    case ConnectionType::Drop: return "drop";
    case ConnectionType::Reject: return "reject";
  }
  return "?";
}

std::string_view toString(Shunt value) {
  switch (value) {
    case Shunt::None: return "none";
    case Shunt::Passthrough: return "passthrough";
    case Shunt::Drop: return "drop";
    case Shunt::Hold: return "hold";
    case Shunt::Reject: return "reject";
  }
  return "?";
}

std::string_view toString(DataplaneChoice value) {
  switch (value) {
    case DataplaneChoice::Xfrm: return "xfrm";
    case DataplaneChoice::Tun: return "tun";
    case DataplaneChoice::Auto: return "auto";
  }
  return "?";
}

bool Connection::answersOpportunisticIke() const {
  if (type != ConnectionType::Passthrough || !right.isGroup()) return false;
  auto peerAuth = rightAuth ? std::vector<std::string>{*rightAuth} : authBy;
  return std::any_of(peerAuth.begin(), peerAuth.end(),
                     [](const std::string& method) { return method != "never"; });
}

std::optional<std::string> Connection::value(std::string_view key) const {
  auto it = settings.find(std::string(key));
  if (it == settings.end()) return std::nullopt;
  return it->second;
}

const Connection* Config::find(std::string_view name) const {
  for (const auto& connection : connections) {
    if (connection.name == name) return &connection;
  }
  return nullptr;
}

}  // namespace ikemesh::policy
