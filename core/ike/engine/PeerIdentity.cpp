// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/PeerIdentity.hpp"

#include <ikemesh/net.hpp>

namespace ikemesh::ike {

std::optional<Identity> identityFromConfig(std::string_view rightid) {
  if (rightid.empty() || rightid == "%any" || rightid == "%fromcert") return std::nullopt;
  if (rightid == "%null") return Identity{IdType::Null, {}};
  if (auto address = IpAddress::parse(rightid)) {
    return Identity{address->isV4() ? IdType::Ipv4Address : IdType::Ipv6Address,
                    std::vector<std::uint8_t>(address->data(), address->data() + address->size())};
  }
  if (rightid.front() == '@') {
    // Libreswan's @@name is the same FQDN, sent without resolving.
    auto name = rightid.substr(rightid.starts_with("@@") ? 2 : 1);
    return Identity{IdType::Fqdn, std::vector<std::uint8_t>(name.begin(), name.end())};
  }
  if (rightid.find('=') == std::string_view::npos && rightid.find('@') != std::string_view::npos)
    return Identity{IdType::Rfc822Address, std::vector<std::uint8_t>(rightid.begin(), rightid.end())};
  return std::nullopt;  // a DN: the auth plugin's business
}

std::string describeIdentity(const Identity& id) {
  switch (id.type) {
    case IdType::Null: return "ID_NULL";
    case IdType::Fqdn: return "@" + std::string(id.data.begin(), id.data.end());
    case IdType::Rfc822Address: return std::string(id.data.begin(), id.data.end());
    case IdType::Ipv4Address:
    case IdType::Ipv6Address:
      if (id.data.size() == 4 || id.data.size() == 16) {
        IpAddress address;
        if (id.data.size() == 4)
          address = IpAddress::v4({id.data[0], id.data[1], id.data[2], id.data[3]});
        else {
          std::array<std::uint8_t, 16> octets{};
          std::copy(id.data.begin(), id.data.end(), octets.begin());
          address = IpAddress::v6(octets);
        }
        return address.toString();
      }
      break;
    default: break;
  }
  return "(ID type " + std::to_string(static_cast<int>(id.type)) + ", " + std::to_string(id.data.size()) +
         " octets)";
}

}  // namespace ikemesh::ike
