// SPDX-License-Identifier: GPL-2.0-or-later
// The IKEv2 protocol engine (DESIGN.md §6): owns every IKE SA, dispatches incoming datagrams by
// SPI, runs the exchanges of RFC 7296 (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL)
// with cookies, retransmission, NAT detection and RFC 7383 fragmentation, and hands CHILD SAs
// to the connection's dataplane. It talks to the outside only through the SDK Host (timers,
// worker pool, log), an IkeTransport and an EngineDelegate, so the daemon runs it on Qt and
// tests run it on virtual time.
//
// Threading: every public member is called on the main thread. Key exchanges run on
// Host::submitWork() and come back through Host::postToMain().
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/host.hpp>
#include <ikemesh/result.hpp>

#include "ike/engine/ConnectionView.hpp"
#include "ike/engine/EngineCounters.hpp"
#include "ike/engine/EngineDelegate.hpp"
#include "ike/engine/IkeSa.hpp"
#include "ike/engine/IkeTransport.hpp"
#include "ike/message/Message.hpp"

namespace ikemesh::ike {

/// Engine-wide knobs (not per connection).
struct EngineSettings {
  /// RFC 7296 §2.6: once this many responder IKE SAs are half-open, IKE_SA_INIT requests
  /// without a valid COOKIE are answered with one and no state is kept. 0 always demands one.
  std::size_t cookieThreshold = 32;
  /// RFC 7383 §2.5.1: an encrypted message larger than this (IKE header included, non-ESP
  /// marker excluded) is sent in fragments when the peer supports them. 1280 suits IPv6
  /// paths; 0 never fragments.
  std::size_t maxMessageLength = 1280;
  /// Nonce length in octets (RFC 7296 §2.10: at least half the PRF key size, 16..256).
  std::size_t nonceLength = 32;
};

/// The SHA-256 of a request datagram, what a retransmission must match (IkeSa::lastRequest).
IkeSa::RequestDigest requestDigest(std::span<const std::uint8_t> datagram);

class IkeEngine {
 public:
  /// How often one response is sent again for copies of its request. A peer retransmits a
  /// handful of times before its retransmit-timeout (backoff doubles the interval); more
  /// copies are a replay.
  static constexpr std::uint32_t kMaxResponseResends = 16;
  /// How long, at most, the outbound SA of a CHILD SA the peer rekeyed waits for the peer to
  /// delete the old one (ChildSa::heldOutbound).
  static constexpr std::chrono::milliseconds kHeldOutboundDelay{2000};
  /// How long the inbound SA of a rekeyed CHILD SA stays in the dataplane after the CHILD SA is
  /// gone, for the packets the peer sent on it just before it switched to the successor (still
  /// in its dataplane or on the wire when the DELETE exchange ends). strongSwan's
  /// charon.delete_rekeyed_delay, 5 s by default, is the same.
  static constexpr std::chrono::milliseconds kRekeyedInboundDelay{5000};

  IkeEngine(Host& host, IkeTransport& transport, EngineDelegate& delegate, EngineSettings settings = {});
  ~IkeEngine();
  IkeEngine(const IkeEngine&) = delete;
  IkeEngine& operator=(const IkeEngine&) = delete;

  /// One IKE message from the network: `message` starts at the IKE header (no non-ESP marker).
  /// Anything wrong is logged once with the field and the reason, counted, and dropped or
  /// answered as RFC 7296 says.
  void receive(std::span<const std::uint8_t> message, const Endpoint& from, const Endpoint& to);

  /// Starts IKE_SA_INIT towards `remote` for `connection` (an acquire, or `ikemesh up`). When an
  /// IKE SA for the same connection and peer exists or is being negotiated, returns it instead
  /// of starting a second one; when that IKE SA is established but carries no CHILD SA any more
  /// (it expired or was deleted), asks for a new one on it with CREATE_CHILD_SA (RFC 7296 §1.3.1).
  Result<IkeSaSerial> initiate(const ConnectionView& connection, const Endpoint& local,
                               const Endpoint& remote);

  /// Sends DELETE for the IKE SA (and so all its CHILD SAs, RFC 7296 §1.4.1) and removes it
  /// once answered or after the retransmission timeout.
  Result<void> deleteIkeSa(IkeSaSerial serial);
  /// Sends DELETE for one CHILD SA, named by our inbound SPI.
  Result<void> deleteChildSa(IkeSaSerial serial, std::uint32_t inboundSpi);
  /// Rekeys one CHILD SA with CREATE_CHILD_SA (RFC 7296 §2.8), with PFS when the connection says so.
  Result<void> rekeyChildSa(IkeSaSerial serial, std::uint32_t inboundSpi);
  /// Rekeys the IKE SA with CREATE_CHILD_SA (RFC 7296 §2.18); its CHILD SAs move to the new one.
  Result<void> rekeyIkeSa(IkeSaSerial serial);
  /// Sends an empty INFORMATIONAL now (RFC 7296 §2.4); an unanswered one deletes the IKE SA.
  Result<void> checkLiveness(IkeSaSerial serial);
  /// The dataplane reports a CHILD SA's lifetime: soft rekeys it, hard deletes it.
  void saExpired(const SaRef& sa, bool hard);
  /// The dataplane saw ESP in UDP for a CHILD SA's inbound SA come from a new address or port
  /// (RFC 7296 §2.23). When ESP goes in UDP, anti-replay is on, we are not behind a NAT
  /// ourselves and only the port changed, the IKE SA sends to the new port from then on and
  /// rekeys its CHILD SAs, whose new outbound SAs then carry it; otherwise the change is only
  /// logged (a new address: the IKE SA's liveness checks decide).
  void natMappingChanged(const NatMapping& mapping);
  /// Removes every IKE and CHILD SA without sending anything (shutdown).
  void clear();

  std::vector<IkeSaInfo> ikeSas() const;
  /// IKE SAs we answered IKE_SA_INIT for whose IKE_AUTH has not come yet (RFC 7296 §2.6).
  std::size_t halfOpenCount() const { return halfOpen_; }
  /// One IKE SA by serial, without building the whole list (per-event callers: ikeSas() per
  /// CHILD SA made a handshake O(number of SAs)).
  std::optional<IkeSaInfo> ikeSa(IkeSaSerial serial) const;
  std::vector<ChildSaInfo> childSas() const;
  const EngineCounters& counters() const { return counters_; }

 private:
  // IkeEngine.cpp: dispatch, windows, retransmission, teardown
  IkeSa* find(IkeSaSerial serial);
  IkeSa* findBySpi(std::uint64_t spi);
  IkeSa& createSa(const ConnectionView& connection, const Endpoint& local, const Endpoint& remote,
                  bool initiator, std::uint64_t ourSpi = 0);
  /// Logs and counts a refused message; under a flood only the first ten of a field and then
  /// every power of two are logged.
  void reject(const std::string& field, const std::string& reason, const Endpoint& from);
  static bool worthLogging(std::uint64_t occurrence);
  void offload(std::function<std::function<void()>()> work);
  void sendDatagrams(IkeSa& sa, const std::vector<std::vector<std::uint8_t>>& datagrams);
  void sendRequest(IkeSa& sa, RequestKind kind, std::vector<std::vector<std::uint8_t>> datagrams);
  void whenWindowOpen(IkeSa& sa, std::function<void()> request);
  void requestDone(IkeSa& sa);
  void retransmit(IkeSaSerial serial);
  Result<void> sendProtectedRequest(IkeSa& sa, RequestKind kind, ExchangeType exchange,
                                    const std::vector<Payload>& inner);
  void sendProtectedResponse(IkeSa& sa, ExchangeType exchange, std::uint32_t messageId,
                             const std::vector<Payload>& inner);
  void sendUnprotectedNotify(const IkeHeader& request, NotifyType type, Bytes data, const Endpoint& local,
                             const Endpoint& remote);
  /// A request with the message ID of the one we answered last: the cached response again when
  /// it is a bitwise copy, at most kMaxResponseResends times (RFC 7296 §2.1); else refused.
  void answerRetransmission(IkeSa& sa, std::span<const std::uint8_t> datagram, const Endpoint& from);
  void removeSa(IkeSaSerial serial, const std::string& reason, bool deleteChildren = true);
  /// The IKE SAs whose peer is at `address` (byPeer_), oldest first.
  std::vector<IkeSa*> sasWithPeer(const IpAddress& address);
  /// Takes `sa` out of byPeer_ (under its current peer address).
  void unindexPeer(const IkeSa& sa);
  void removeChild(IkeSa& sa, std::uint32_t inboundSpi, const std::string& reason);
  void startLiveness(IkeSa& sa);
  void livenessTick(IkeSaSerial serial);
  void dispatchProtected(IkeSa& sa, const IkeHeader& header, std::vector<Payload> inner);

  // IkeEngineInit.cpp: IKE_SA_INIT, both roles
  void sendIkeSaInit(IkeSa& sa);
  void generateInitiatorKe(IkeSa& sa, DhGroup group);
  void onIkeSaInitRequest(const Message& message, std::span<const std::uint8_t> datagram,
                          const Endpoint& from, const Endpoint& to);
  void onIkeSaInitResponse(IkeSa& sa, const Message& message, std::span<const std::uint8_t> datagram);
  Bytes cookieFor(const Bytes& nonce, const IpAddress& address, std::uint64_t initiatorSpi) const;
  Result<void> installIkeKeys(IkeSa& sa, const IkeSaKeys& keys);
  bool resolveCrossing(const ConnectionView& connection, const Endpoint& remote, const Bytes& peerNonce);

  // IkeEngineAuth.cpp: IKE_AUTH and CHILD SA installation
  void startIkeAuth(IkeSa& sa);
  void onIkeAuthRequest(IkeSa& sa, std::uint32_t messageId, const std::vector<Payload>& inner);
  void onIkeAuthResponse(IkeSa& sa, const std::vector<Payload>& inner);
  void establish(IkeSa& sa);
  /// Installs both directions of `child` in the dataplane. `weInitiated`: we sent the request
  /// of the exchange that created it, which decides which KEYMAT half is inbound (§2.17).
  /// `holdOutbound`: the peer rekeyed a CHILD SA and this is the new one; its outbound SA
  /// waits (ChildSa::heldOutbound).
  Result<void> installChild(IkeSa& sa, ChildSa child, const ChildSaKeys& keys, bool weInitiated,
                            bool holdOutbound = false);
  /// The held outbound SAs of the CHILD SAs that carry the same traffic as `leaving` go into
  /// the dataplane: `leaving` is about to stop sending.
  void releaseHeldOutbound(IkeSa& sa, const ChildSa& leaving);
  /// Removes the inbound SA `ref` from `dataplane` after kRekeyedInboundDelay (at once when the
  /// engine is cleared first).
  void deleteInboundLater(Dataplane& dataplane, const SaRef& ref);
  void deleteLateInboundNow();
  void installHeldOutbound(IkeSa& sa, ChildSa& child);
  /// The child's held outbound SA (null if none), its timer stopped.
  std::shared_ptr<HeldSa> takeHeldOutbound(ChildSa& child);
  std::vector<TrafficSelector> localSelectors(const IkeSa& sa) const;
  /// The signer's credential for `sa`, with an address ID left empty by the method (auth.hpp,
  /// LocalCredential::id) filled with the address this SA uses.
  static Result<ikemesh::LocalCredential> localCredentialFor(ikemesh::AuthMethod& signer, const IkeSa& sa);
  std::vector<TrafficSelector> remoteSelectors(const IkeSa& sa) const;
  /// The responder's half of a CHILD SA offer (IKE_AUTH or CREATE_CHILD_SA).
  struct ChildAnswer {
    std::vector<Payload> payloads;  ///< USE_TRANSPORT_MODE, SA, TSi, TSr; or the error notify
    std::optional<ChildSa> child;
    ChildSaKeys keys;
    std::string refusal;  ///< why no CHILD SA, when `child` is empty
  };
  /// Selection (or `preselected`), narrowing (§2.9), SPI allocation and KEYMAT (§2.17);
  /// `sharedSecret` is the PFS g^ir or empty.
  ChildAnswer answerChildOffer(IkeSa& sa, const std::vector<Payload>& inner, const Bytes& nonceI,
                               const Bytes& nonceR, std::span<const std::uint8_t> sharedSecret,
                               const NegotiatedAlgorithms* preselected);
  void failAuthentication(IkeSaSerial serial, std::uint32_t messageId, const std::string& reason);
  void notifyAuthenticationFailed(IkeSa& sa);

  // IkeEngineInformational.cpp: DELETE and liveness
  void onInformationalRequest(IkeSa& sa, std::uint32_t messageId, const std::vector<Payload>& inner);
  void onInformationalResponse(IkeSa& sa, RequestKind kind, const std::vector<Payload>& inner);

  // IkeEngineCreateChild.cpp: CHILD and IKE SA rekeying
  void onCreateChildRequest(IkeSa& sa, std::uint32_t messageId, const std::vector<Payload>& inner);
  void onCreateChildResponse(IkeSa& sa, RequestKind kind, const std::vector<Payload>& inner);
  /// CREATE_CHILD_SA for a CHILD SA: a rekey of the one with our inbound SPI `replacesInboundSpi`
  /// (§1.3.3), or a new one (§1.3.1) when it is 0. With a fresh key exchange when pfs=yes.
  void requestChildSa(IkeSaSerial serial, std::uint32_t replacesInboundSpi);
  /// The CHILD SA we asked for (in IKE_AUTH, or a new one in CREATE_CHILD_SA) did not come:
  /// logged, and reported to the delegate as a failed initiation.
  void childRefused(IkeSa& sa, const std::string& reason);
  void sendChildRequest(IkeSaSerial serial, std::uint32_t replacesInboundSpi,
                        std::shared_ptr<KeyExchange> keyExchange);
  void sendIkeRekey(IkeSaSerial serial, std::shared_ptr<KeyExchange> keyExchange);
  void finishChildResponse(IkeSaSerial serial, ChildNegotiation negotiation, std::vector<Payload> inner,
                           SecureBytes sharedSecret);
  /// Creates the IKE SA that replaces `old` after a rekey (RFC 7296 §2.18); CHILD SAs move to
  /// it. When both peers rekeyed `old` at once, keeps the new IKE SA whose exchange did not have
  /// the lowest nonce and deletes ours if it lost (§2.8.1). Returns whether we must delete `old`.
  bool adoptRekeyedSa(IkeSa& old, bool initiator, std::uint64_t initiatorSpi, std::uint64_t responderSpi,
                      const NegotiatedAlgorithms& ike, const IkeSaKeys& keys, const Bytes& nonceI,
                      const Bytes& nonceR);
  std::uint64_t freshIkeSpi();
  /// Notes a completed CHILD SA rekey; when both peers rekeyed the same CHILD SA, deletes ours
  /// if its exchange holds the lowest of the four nonces (RFC 7296 §2.8.1).
  void recordChildRekey(IkeSa& sa, std::uint32_t replacedInboundSpi, IkeSa::RekeyRecord record);

  Host& host_;
  IkeTransport& transport_;
  EngineDelegate& delegate_;
  EngineSettings settings_;
  EngineCounters counters_;
  std::map<IkeSaSerial, std::unique_ptr<IkeSa>> sas_;
  std::map<std::uint64_t, IkeSaSerial> bySpi_;  ///< our SPI of each IKE SA
  /// Responder IKE SAs by the initiator's SPI and address, to recognise a retransmitted
  /// IKE_SA_INIT (RFC 7296 §2.1).
  std::map<std::pair<std::uint64_t, Endpoint>, IkeSaSerial> byInitiatorSpi_;
  /// Every IKE SA by its peer's address (IkeSa::remote), until it is removed: what concerns one
  /// peer (a crossing initiation, INITIAL_CONTACT, an acquire for a peer with an IKE SA) is
  /// looked up there instead of in every SA, which a node with thousands of peers would pay
  /// for at each handshake.
  /// Ordered by address, then serial: one peer's SAs come oldest first.
  std::set<std::pair<IpAddress, IkeSaSerial>> byPeer_;
  /// The initiators (SPI, address) a cookie was demanded from, the last kRememberedCookieDemands:
  /// they get state only with the cookie (onIkeSaInitRequest).
  static constexpr std::size_t kRememberedCookieDemands = 4096;
  std::set<std::pair<std::uint64_t, IpAddress>> cookieDemanded_;
  std::deque<std::pair<std::uint64_t, IpAddress>> cookieDemandOrder_;
  void rememberCookieDemand(const std::pair<std::uint64_t, IpAddress>& initiator);
  IkeSaSerial nextSerial_ = 1;
  std::uint32_t nextReqid_ = 1;
  std::size_t halfOpen_ = 0;
  Bytes cookieSecret_;
  /// Inbound SAs of rekeyed CHILD SAs waiting for deleteInboundLater's timer.
  struct LateInbound {
    Dataplane* dataplane;
    SaRef ref;
    TimerId timer;
  };
  std::map<std::uint64_t, LateInbound> lateInbound_;
  std::uint64_t nextLateInbound_ = 0;
  /// Posted callbacks check it, so that work finishing after the engine is gone does nothing.
  std::shared_ptr<int> lifetime_ = std::make_shared<int>(0);
};

}  // namespace ikemesh::ike
