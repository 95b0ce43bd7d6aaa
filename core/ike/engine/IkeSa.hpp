// SPDX-License-Identifier: GPL-2.0-or-later
// The state of one IKE SA (RFC 7296 §1, §2): role, SPIs, negotiation progress, keys, the
// message-ID windows and retransmission state of both directions, and its CHILD SAs. A plain
// state holder: IkeEngine drives every transition.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/dataplane.hpp>
#include <ikemesh/host.hpp>

#include "ike/crypto/KeyDerivation.hpp"
#include "ike/crypto/KeyExchange.hpp"
#include "ike/crypto/SkCipher.hpp"
#include "ike/engine/ChildSa.hpp"
#include "ike/engine/ConnectionView.hpp"
#include "ike/engine/EngineDelegate.hpp"
#include "ike/engine/FragmentReassembler.hpp"
#include "ike/engine/IkeTransport.hpp"
#include "ike/engine/ProposalSelector.hpp"

namespace ikemesh::ike {

enum class IkeSaState : std::uint8_t {
  InitiatorKeyGeneration,   ///< computing our KE value for IKE_SA_INIT
  InitiatorInitSent,        ///< IKE_SA_INIT request sent
  InitiatorDerivingKeys,    ///< g^ir and SKEYSEED on a worker
  InitiatorAuthenticating,  ///< signing, IKE_AUTH request sent, or verifying the answer
  ResponderComputing,       ///< IKE_SA_INIT answer being computed (half-open)
  ResponderAwaitingAuth,    ///< IKE_SA_INIT answered (half-open)
  ResponderAuthenticating,  ///< verifying IKE_AUTH and signing the answer
  Established,
  Deleting,  ///< our DELETE of the IKE SA is out
};

/// What one of our outstanding requests was for, so that its response goes to the right handler.
enum class RequestKind : std::uint8_t {
  IkeSaInit,
  IkeAuth,
  CreateChild,  ///< new or rekeyed CHILD SA
  RekeyIke,
  DeleteChild,
  DeleteIke,
  Liveness,
};

/// Our request waiting for its response (window size 1, RFC 7296 §2.3), and its retransmission
/// state (§2.1).
struct OutstandingRequest {
  RequestKind kind = RequestKind::IkeSaInit;
  std::uint32_t messageId = 0;
  std::vector<std::vector<std::uint8_t>> datagrams;  ///< one, or the RFC 7383 fragments
  std::chrono::milliseconds interval{0};             ///< until the next retransmission
  std::chrono::milliseconds elapsed{0};              ///< since the first transmission
  TimerId timer = 0;
};

/// A CREATE_CHILD_SA (or the CHILD SA of IKE_AUTH) that we initiated and that is in flight.
struct ChildNegotiation {
  std::vector<Proposal> offered;
  std::uint32_t inboundSpi = 0;          ///< the SPI we allocated for the new CHILD SA
  std::uint32_t replacesInboundSpi = 0;  ///< CHILD SA rekey: the old CHILD SA
  std::uint64_t newIkeSpi = 0;           ///< IKE SA rekey: our SPI of the new IKE SA
  std::vector<ProposalSpec> ikeSpecs;    ///< IKE SA rekey: what we offered
  Bytes nonce;
  std::shared_ptr<KeyExchange> keyExchange;
  std::vector<TrafficSelector> initiatorSelectors;
  std::vector<TrafficSelector> responderSelectors;
};

struct IkeSa {
  IkeSaSerial serial = 0;
  bool initiator = false;  ///< we sent the IKE_SA_INIT (or the rekey) that created it
  std::uint64_t initiatorSpi = 0;
  std::uint64_t responderSpi = 0;
  IkeSaState state = IkeSaState::InitiatorKeyGeneration;
  ConnectionView connection;
  Endpoint local;
  Endpoint remote;
  Dataplane* dataplane = nullptr;

  // IKE_SA_INIT
  std::vector<ProposalSpec> ikeSpecs;
  std::vector<Proposal> offeredIke;
  NegotiatedAlgorithms ike;
  std::shared_ptr<KeyExchange> keyExchange;
  Bytes nonceInitiator;
  Bytes nonceResponder;
  Bytes cookie;
  int cookieRounds = 0;
  int invalidKeRounds = 0;
  /// RFC 7296 §2.15 "RealMessage1" and "RealMessage2", for the AUTH payloads; released when
  /// the IKE SA is established.
  std::vector<std::uint8_t> initiatorFirstMessage;
  std::vector<std::uint8_t> responderFirstMessage;
  bool natLocal = false;   ///< we are behind a NAT (our NATD hash did not match)
  bool natRemote = false;  ///< the peer is behind a NAT
  /// RFC 7296 §2.23, RFC 3948: ESP goes in UDP when a NAT was detected (or faked to force it).
  /// IKE on port 4500 alone sends plain ESP: peers float there without a NAT (strongSwan does
  /// with MOBIKE, RFC 4555 §3.5) and send plain ESP themselves.
  bool encapsulatesEsp() const noexcept { return natLocal || natRemote; }
  bool peerFragmentation = false;
  bool peerChildless = false;  ///< CHILDLESS_IKEV2_SUPPORTED in the peer's IKE_SA_INIT (RFC 6023)
  bool halfOpen = false;

  // Keys (RFC 7296 §2.14) and SK payload protection in each direction.
  IkeSaKeys keys;
  std::unique_ptr<SkCipher> outboundCipher;
  std::unique_ptr<SkCipher> inboundCipher;

  // IKE_AUTH
  std::string peerId;
  std::optional<ChildNegotiation> authChild;

  // Message IDs (RFC 7296 §2.3): ours and the peer's, each with window size 1.
  std::uint32_t nextRequestId = 0;
  std::optional<OutstandingRequest> outstanding;
  std::vector<std::function<void()>> queuedRequests;  ///< waiting for the window
  std::uint32_t expectedPeerRequestId = 0;
  std::optional<std::uint32_t> lastResponseId;
  std::vector<std::vector<std::uint8_t>> lastResponse;  ///< answered again on a retransmit
  /// The request being answered and the one answered last, as the SHA-256 of their datagram
  /// (fragment 1 of a fragmented one): only a bitwise identical copy is a retransmission (RFC
  /// 7296 §2.1). A digest, not the datagram: that would stay for the life of the IKE SA, and
  /// an IKE_AUTH with certificates is a kilobyte.
  using RequestDigest = std::array<std::uint8_t, 32>;
  std::optional<RequestDigest> requestInProgress;
  std::optional<RequestDigest> lastRequest;
  std::uint32_t lastResponseResent = 0;  ///< times lastResponse went out again
  FragmentReassembler requestFragments;
  FragmentReassembler responseFragments;
  bool peerRequestInProgress = false;  ///< answer being computed (auth, DH): retransmits wait

  std::optional<ChildNegotiation> childNegotiation;
  std::vector<ChildSa> children;
  /// A CREATE_CHILD_SA for a new CHILD SA (not a rekey) is being prepared or awaits its answer:
  /// further acquires for this peer wait for it.
  bool newChildPending = false;

  /// One completed rekey of a CHILD SA, kept to recognise simultaneous rekeys (RFC 7296 §2.8.1).
  struct RekeyRecord {
    bool ours = false;                ///< we initiated that CREATE_CHILD_SA
    std::uint32_t newInboundSpi = 0;  ///< the CHILD SA it created
    Bytes lowestNonce;                ///< the lower of its two nonces
  };
  /// By the inbound SPI of the CHILD SA that was replaced.
  std::map<std::uint32_t, std::vector<RekeyRecord>> childRekeys;
  /// The rekeys of this IKE SA so far: two when both peers rekeyed it at once (§2.8.1).
  struct IkeRekeyRecord {
    bool ours = false;
    IkeSaSerial newIkeSa = 0;
    Bytes lowestNonce;
  };
  std::vector<IkeRekeyRecord> ikeRekeys;

  // Liveness (RFC 7296 §2.4)
  TimerId livenessTimer = 0;
  TimerId rekeyTimer = 0;  ///< IKE SA rekey at 90% of ikelifetime (the original initiator's job)
  bool heardFromPeer = false;
  /// Replaced by a rekeyed IKE SA: its CHILD SAs moved there; deleting it leaves them alone.
  bool replaced = false;
  /// Reached Established once; its end is reported as a deletion, not a failed initiation.
  bool established = false;

  IkeSaInfo info() const {
    IkeSaInfo out;
    out.serial = serial;
    out.connection = connection.name;
    out.local = local;
    out.remote = remote;
    out.initiator = initiator;
    out.initiatorSpi = initiatorSpi;
    out.responderSpi = responderSpi;
    out.established = state == IkeSaState::Established;
    out.peerId = peerId;
    out.algorithms = ike.describe(true);
    return out;
  }
};

}  // namespace ikemesh::ike
