// SPDX-License-Identifier: GPL-2.0-or-later
// What the engine needs to know about one connection: the daemon's policy layer builds it from
// the parsed ipsec.conf connection (or instance) and hands it over; the engine never reads the
// configuration itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/dataplane.hpp>
#include <ikemesh/net.hpp>

namespace ikemesh::ike {

/// One connection (template or instance) as the engine applies it. A value type; the engine
/// keeps a copy per IKE SA, so a reload never changes an SA in flight.
struct ConnectionView {
  std::string name;
  /// Auth providers for our AUTH payload (leftauth) and for the peer's (rightauth).
  std::string localAuth = "auth.null";
  std::string remoteAuth = "auth.null";
  /// Libreswan `ike=` and `esp=` strings; empty means the RFC 8247 / RFC 8221 defaults.
  std::string ikeProposals;
  std::string espProposals;
  /// pfs=yes: CREATE_CHILD_SA carries a fresh key exchange (RFC 7296 §1.3.1).
  bool pfs = true;
  /// childless=yes: IKE_AUTH authenticates and carries no CHILD SA when the responder announced
  /// RFC 6023 support; the CHILD SA follows in a CREATE_CHILD_SA (with PFS when pfs=yes).
  bool childless = false;
  std::chrono::seconds ikeLifetime{28800};
  std::chrono::seconds childLifetime{28800};
  /// rekeymargin= and rekeyfuzz=: rekey at lifetime - (margin + random(margin * fuzz%))
  /// (see RekeyTiming.hpp); Libreswan's defaults.
  std::chrono::milliseconds rekeyMargin{std::chrono::minutes(9)};
  int rekeyFuzzPercent = 100;
  /// RFC 7296 §2.1: the first retransmission after `retransmitInterval`, doubling each time,
  /// giving up once `retransmitTimeout` has passed without an answer.
  std::chrono::milliseconds retransmitInterval{500};
  std::chrono::milliseconds retransmitTimeout{60000};
  /// dpddelay: an empty INFORMATIONAL is sent when nothing came from the peer for this long
  /// (RFC 7296 §2.4). Zero disables liveness checks.
  std::chrono::milliseconds livenessDelay{0};
  IpsecMode mode = IpsecMode::Transport;
  /// Our and the peer's protected traffic; empty means host-to-host on the IKE addresses,
  /// which is what opportunistic connections use.
  std::vector<TrafficSelector> localSelectors;
  std::vector<TrafficSelector> remoteSelectors;
  /// When set, the peer's IDi/IDr must equal it (rightid=).
  std::optional<Identity> remoteIdentity;
  /// encapsulation=yes (or a dataplane that only does ESP in UDP): pretend to be behind a
  /// NAT so that ESP is encapsulated in UDP 4500 even where no NAT is (RFC 3948).
  bool forceEncapsulation = false;
  /// fragmentation=yes: announce and use RFC 7383 fragmentation.
  bool fragmentation = true;
  std::uint32_t replayWindow = 1024;
};

}  // namespace ikemesh::ike
