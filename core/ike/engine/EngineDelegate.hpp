// SPDX-License-Identifier: GPL-2.0-or-later
// What the engine asks of the daemon (policy lookup, plugins) and what it reports back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/dataplane.hpp>

#include "ike/engine/ConnectionView.hpp"
#include "ike/engine/IkeTransport.hpp"

namespace ikemesh::ike {

/// Identifies one IKE SA for the life of the engine (never reused).
using IkeSaSerial = std::uint64_t;

/// An IKE SA as status lines show it.
struct IkeSaInfo {
  IkeSaSerial serial = 0;
  std::string connection;
  Endpoint local;
  Endpoint remote;
  bool initiator = false;
  std::uint64_t initiatorSpi = 0;
  std::uint64_t responderSpi = 0;
  bool established = false;
  std::string peerId;      ///< VerifiedPeer::displayId once authenticated
  std::string algorithms;  ///< "AES-GCM-16_256 HMAC-SHA2-512 Curve25519"
};

/// A CHILD SA (both directions) as status lines show it.
struct ChildSaInfo {
  IkeSaSerial ikeSa = 0;
  std::string connection;
  std::uint32_t inboundSpi = 0;
  std::uint32_t outboundSpi = 0;
  IpsecMode mode = IpsecMode::Transport;
  bool encapsulated = false;
  std::vector<TrafficSelector> localSelectors;
  std::vector<TrafficSelector> remoteSelectors;
  std::string algorithms;
};

/// Implemented by the daemon (and by test harnesses). Every member is called on the main
/// thread, from inside an IkeEngine call or a Host callback; none may call back into the
/// engine synchronously except through Host::postToMain().
class EngineDelegate {
 public:
  virtual ~EngineDelegate() = default;

  /// Responder side: the connection that applies to an IKE_SA_INIT from `remote` arriving on
  /// `local` (DESIGN.md §2 step 7); nullopt refuses the peer.
  virtual std::optional<ConnectionView> connectionFor(const Endpoint& local, const Endpoint& remote) = 0;
  /// Responder, at IKE_AUTH: the connection that should answer this peer now that its IDi and
  /// traffic selectors are known (TSi the peer's side, TSr ours; RFC 7296 §2.9), when it is not
  /// `current`, the one chosen at IKE_SA_INIT by address alone. nullopt keeps `current`.
  virtual std::optional<ConnectionView> connectionForSelectors(const ConnectionView& current,
                                                               const Endpoint& local, const Endpoint& remote,
                                                               const std::vector<TrafficSelector>& offeredI,
                                                               const std::vector<TrafficSelector>& offeredR) {
    (void)current;
    (void)local;
    (void)remote;
    (void)offeredI;
    (void)offeredR;
    return std::nullopt;
  }
  /// The auth provider `feature` ("auth.null") for `connection`; nullptr when not loaded.
  virtual ikemesh::AuthMethod* authMethod(const ConnectionView& connection, std::string_view feature) = 0;
  /// The dataplane of `connection`; nullptr when not loaded.
  virtual Dataplane* dataplane(const ConnectionView& connection) = 0;

  virtual void ikeSaEstablished(const IkeSaInfo& sa) { (void)sa; }
  virtual void ikeSaDeleted(const IkeSaInfo& sa, const std::string& reason) {
    (void)sa;
    (void)reason;
  }
  virtual void childSaUp(const ChildSaInfo& child) { (void)child; }
  virtual void childSaDown(const ChildSaInfo& child, const std::string& reason) {
    (void)child;
    (void)reason;
  }
  /// An initiation we started failed before an IKE SA was established (failureshunt time).
  virtual void initiationFailed(const std::string& connection, const Endpoint& remote,
                                const std::string& reason) {
    (void)connection;
    (void)remote;
    (void)reason;
  }
};

}  // namespace ikemesh::ike
