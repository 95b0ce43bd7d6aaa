// SPDX-License-Identifier: GPL-2.0-or-later
// Policy groups: the files policies/<conn-name> beside the main config file, one CIDR per
// line, optionally followed by `PROTOCOL SOURCE-PORT DESTINATION-PORT` as Libreswan allows
// ("192.0.2.0/24 tcp 0 80"). A conn whose right= is %group or %opportunisticgroup takes its
// peers from the group named after it; a missing file is an empty group.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <ikemesh/net.hpp>

#include "policy/ConfigError.hpp"
#include "policy/Connection.hpp"

namespace ikemesh::policy {

/// One line of a policy group file.
struct PolicyEntry {
  IpPrefix prefix;
  std::uint8_t protocol = 0;    ///< IP protocol; 0 = any
  std::uint16_t localPort = 0;  ///< source port of our traffic to the peer; 0 = any
  std::uint16_t peerPort = 0;   ///< destination port at the peer; 0 = any
  SourceLocation where;

  bool hasProtocolOrPorts() const { return protocol != 0 || localPort != 0 || peerPort != 0; }
  /// How much more than the prefix the entry pins down; entries of the same prefix are ranked
  /// by it (the peer port weighs most, then the local port, then the protocol).
  int specificity() const {
    return (protocol != 0 ? 1 : 0) + (localPort != 0 ? 2 : 0) + (peerPort != 0 ? 4 : 0);
  }
  /// Whether traffic of `queryProtocol` from `queryLocalPort` to `queryPeerPort` is covered
  /// (the address is checked by the caller). A query with protocol 0 matches plain entries only.
  bool matches(std::uint8_t queryProtocol, std::uint16_t queryLocalPort, std::uint16_t queryPeerPort) const {
    return (protocol == 0 || protocol == queryProtocol) && (localPort == 0 || localPort == queryLocalPort) &&
           (peerPort == 0 || peerPort == queryPeerPort);
  }
  /// Prefix, protocol and ports, ordered: what sameTraffic() compares, as a key of sets and maps.
  auto trafficKey() const { return std::make_tuple(prefix, protocol, localPort, peerPort); }
  /// Same prefix, protocol and ports; the location is not compared.
  bool sameTraffic(const PolicyEntry& other) const { return trafficKey() == other.trafficKey(); }
  /// "10.15.0.0/16", or "192.0.2.0/24 tcp 0 80" as written in the file.
  std::string toString() const;
};

/// The entries of one policy file.
struct PolicyGroup {
  std::string name;  ///< the conn's name
  std::string file;  ///< the file it was (or would have been) read from
  bool fileExists = false;
  std::vector<PolicyEntry> entries;
};

/// "tcp" for 6, "udp" for 17, ...; the number for other protocols.
std::string protocolName(std::uint8_t protocol);

/// Parses the text of a policy file. Errors name `fileName`:LINE: a bad CIDR (host bits set,
/// not an address), an unknown protocol, a bad port, a wrong number of fields, or the same
/// entry twice in the file.
ConfigResult<PolicyGroup> parsePolicyGroup(std::string_view text, const std::string& groupName,
                                           const std::string& fileName);

/// The `policies` folder beside the main config file.
std::string policiesFolderFor(const std::string& mainConfigFile);

/// Reads policies/<name> for every conn that is loaded (auto= not ignore) and whose right= is
/// %group or %opportunisticgroup. A missing file gives an empty group.
ConfigResult<std::vector<PolicyGroup>> loadPolicyGroups(const Config& config,
                                                        const std::string& policiesFolder);

}  // namespace ikemesh::policy
