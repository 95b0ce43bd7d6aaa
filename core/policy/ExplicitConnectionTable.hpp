// SPDX-License-Identifier: GPL-2.0-or-later
// Connections with a fixed peer (right= an address or a hostname), next to the opportunistic
// groups: which one carries traffic from a local to a remote address (the initiator's trap and
// acquire), and which one answers a peer's IKE_AUTH given the traffic selectors it offers (the
// responder). An explicit connection ranks above any policy group for the same traffic, as
// Libreswan orders an administrator's connection above opportunistic encryption.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

#include "policy/ConfigError.hpp"
#include "policy/Connection.hpp"
#include "policy/PolicyTable.hpp"

namespace ikemesh::policy {

/// One conn with a fixed peer, its hostname resolved.
struct ExplicitConnection {
  std::string name;
  SourceLocation where;
  AutoAction autoAction = AutoAction::Ignore;
  IpAddress peer;                       ///< right=, resolved
  std::optional<IpAddress> local;       ///< left= when it is an address
  std::vector<IpPrefix> localSubnets;   ///< leftsubnet=; empty: the host address of our IKE address
  std::vector<IpPrefix> remoteSubnets;  ///< rightsubnet=, or the peer's host prefix
  bool narrowing = false;

  /// leftsubnet=, or the host prefix of `ikeLocal` when it has none.
  std::vector<IpPrefix> localSubnetsFor(const IpAddress& ikeLocal) const;
};

/// The address range of a prefix as an IKEv2 traffic selector (RFC 7296 §3.13.1).
TrafficSelector selectorFor(const IpPrefix& prefix);
/// "198.51.100.0/24" for a selector that is one prefix with any protocol and port, else
/// "198.51.100.7-198.51.100.9" with ":proto/ports" when they are narrowed.
std::string selectorText(const TrafficSelector& selector);

/// Resolves right=HOST; getaddrinfo in the daemon, a table in tests.
using HostnameResolver = std::function<Result<IpAddress>(const std::string& hostname)>;
/// getaddrinfo(3), the first address returned (IPv4 preferred when both come back).
Result<IpAddress> resolveWithGetaddrinfo(const std::string& hostname);

/// The responder's verdict for an offer.
struct ExplicitChoice {
  const ExplicitConnection* connection = nullptr;
  /// Every offered selector lies within the conn's subnets (no narrowing needed).
  bool exact = false;
  std::string why;  ///< for the log
};

/// `ikemesh policy IP` where an explicit conn may apply: `chosen` (null: none) took the
/// traffic with its rightsubnet `matched`, and so overrides the group `groups` would give;
/// without one, the groups' explanation as it is.
std::string explainPrecedence(const ExplicitConnection* chosen, const IpPrefix& matched,
                              const PolicyExplanation& groups);

class ExplicitConnectionTable {
 public:
  ExplicitConnectionTable() = default;

  /// The conns of `config` whose right= is an address or hostname and whose type= is tunnel or
  /// transport (auto=ignore included: `ikemesh add` loads them). A hostname that does not
  /// resolve is an error naming the conn's file:line.
  static ConfigResult<ExplicitConnectionTable> build(const Config& config, const HostnameResolver& resolver);

  const std::vector<ExplicitConnection>& connections() const { return connections_; }
  const ExplicitConnection* find(std::string_view name) const;

  /// Initiator: the conn, among `usable` ones, whose rightsubnet holds `peer` and whose
  /// leftsubnet holds `local` (a conn without leftsubnet takes any local address); the
  /// longest matching rightsubnet wins, then the longest leftsubnet, then file order.
  /// `matched` gets the winning rightsubnet.
  const ExplicitConnection* forTraffic(const IpAddress& local, const IpAddress& peer,
                                       const std::function<bool(const ExplicitConnection&)>& usable,
                                       IpPrefix* matched = nullptr) const;

  /// Responder: the conns with this peer address, in file order (IKE_SA_INIT knows no more).
  std::vector<const ExplicitConnection*> forPeer(const IpAddress& ikeLocal, const IpAddress& peer) const;

  /// Responder at IKE_AUTH: among `usable` conns with this peer, the one the offered TSi (the
  /// peer's side) and TSr (ours) fit. A conn whose subnets contain every offered selector wins
  /// over one that needs narrowing (allowed only with narrowing=yes, RFC 7296 §2.9); among
  /// those the one with the fewest addresses (the most specific), then file order.
  ExplicitChoice forSelectors(const IpAddress& ikeLocal, const IpAddress& peer,
                              const std::vector<TrafficSelector>& offeredI,
                              const std::vector<TrafficSelector>& offeredR,
                              const std::function<bool(const ExplicitConnection&)>& usable) const;

 private:
  std::vector<ExplicitConnection> connections_;
};

}  // namespace ikemesh::policy
