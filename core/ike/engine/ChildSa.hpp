// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/host.hpp>
#include <ikemesh/net.hpp>

#include "ike/engine/ProposalSelector.hpp"
#include "ike/engine/SaHandover.hpp"

namespace ikemesh::ike {

/// One CHILD SA: a pair of ESP SAs installed in the dataplane (RFC 7296 §1.3). Owned by its
/// IKE SA.
struct ChildSa {
  std::uint32_t inboundSpi = 0;   ///< we chose it; the peer sends with it
  std::uint32_t outboundSpi = 0;  ///< the peer chose it; we send with it
  NegotiatedAlgorithms algorithms;
  std::vector<TrafficSelector> localSelectors;
  std::vector<TrafficSelector> remoteSelectors;
  IpsecMode mode = IpsecMode::Transport;
  bool encapsulated = false;  ///< ESP in UDP (RFC 3948): NAT, or IKE on port 4500
  std::uint32_t reqid = 0;
  /// A rekey replaced it, or we asked the peer to delete it: it stays installed until the
  /// DELETE exchange completes (RFC 7296 §2.8), but is not rekeyed or deleted again.
  bool retiring = false;
  /// Its outbound SA is already out of the dataplane: a successor for the same traffic took
  /// over while our DELETE is in flight.
  bool outboundRemoved = false;
  /// Our rekey of it is under way: the soft expiry of its other direction, or a second
  /// request, must not start another one.
  bool rekeying = false;
  /// Its outbound SA, not yet in the dataplane. When we answer the peer's rekey of a CHILD SA
  /// we keep sending on the old one: the peer installs the new pair only once our answer has
  /// arrived and been processed, and what we sent on the new SA before that would be dropped.
  /// It goes in when the peer deletes the old CHILD SA (the initiator's next step, RFC 7296
  /// §2.8), when the old one loses its outbound SA for any other reason, or after
  /// IkeEngine::kHeldOutboundDelay, whichever comes first. strongSwan's responder does the same.
  std::shared_ptr<HeldSa> heldOutbound;
  TimerId heldOutboundTimer = 0;
};

}  // namespace ikemesh::ike
