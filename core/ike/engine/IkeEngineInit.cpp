// SPDX-License-Identifier: GPL-2.0-or-later
// IKE_SA_INIT (RFC 7296 §1.2) in both roles: proposals, key exchange off the event loop,
// COOKIE (§2.6), INVALID_KE_PAYLOAD (§1.2), NAT detection (§2.23), fragmentation support
// (RFC 7383 §2.3), and crossing initiations.
#include <algorithm>

#include "ike/crypto/Prf.hpp"
#include "ike/crypto/Random.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "ike/engine/NatDetection.hpp"
#include "ike/message/MessageEncoder.hpp"

namespace ikemesh::ike {

namespace {

/// What a worker computes for IKE_SA_INIT: our key pair (responder) and the IKE SA keys.
struct InitComputation {
  std::shared_ptr<KeyExchange> keyExchange;
  std::optional<IkeSaKeys> keys;
  std::string error;
};

std::shared_ptr<InitComputation> computeIkeKeys(std::shared_ptr<KeyExchange> keyExchange, DhGroup group,
                                                const NegotiatedAlgorithms& ike, const Bytes& peerValue,
                                                const Bytes& nonceI, const Bytes& nonceR, std::uint64_t spiI,
                                                std::uint64_t spiR) {
  auto out = std::make_shared<InitComputation>();
  if (!keyExchange) {
    auto created = KeyExchange::create(group);
    if (!created) {
      out->error = "key exchange: " + created.error().message;
      return out;
    }
    keyExchange = std::move(created.value());
  }
  out->keyExchange = keyExchange;
  auto secret = keyExchange->sharedSecret(peerValue);
  if (!secret) {
    out->error = "KE payload: " + secret.error().message;
    return out;
  }
  auto skeyseed = deriveSkeyseed(ike.prf, nonceI, nonceR, *secret);
  if (!skeyseed) {
    out->error = "SKEYSEED: " + skeyseed.error().message;
    return out;
  }
  const auto i = spiBytes(spiI), r = spiBytes(spiR);
  auto keys = deriveIkeSaKeys({ike.encryption, ike.integrity, ike.prf}, *skeyseed, nonceI, nonceR,
                              std::span<const std::uint8_t, 8>(i.data(), 8),
                              std::span<const std::uint8_t, 8>(r.data(), 8));
  if (!keys) {
    out->error = "IKE SA keys: " + keys.error().message;
    return out;
  }
  out->keys = std::move(*keys);
  return out;
}

Payload notify(NotifyType type, Bytes data = {}) {
  return Payload{PayloadType::Notify, NotifyPayload{ProtocolId::None, {}, type, std::move(data)}};
}

/// RFC 7427 §4: a node that can authenticate with Digital Signature (AUTH method 14) says so
/// in IKE_SA_INIT, listing the hashes it verifies; without it peers such as strongSwan and
/// Libreswan fall back to PKCS#1 v1.5 with SHA-1. NULL authentication signs nothing.
bool usesSignatures(const ConnectionView& connection) {
  return connection.localAuth != "auth.null" || connection.remoteAuth != "auth.null";
}

/// SIGNATURE_HASH_ALGORITHMS: SHA2-256 (2), SHA2-384 (3), SHA2-512 (4), two octets each
/// (RFC 7427 §4, IANA "IKEv2 Hash Algorithms"); SHA-1 is not offered (RFC 8247 §3.2).
Payload signatureHashAlgorithms() {
  return notify(NotifyType::SignatureHashAlgorithms, {0, 2, 0, 3, 0, 4});
}

Bytes groupBytes(DhGroup group) {
  const auto value = static_cast<std::uint16_t>(group);
  return {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value & 0xff)};
}

}  // namespace

Result<IkeSaSerial> IkeEngine::initiate(const ConnectionView& connection, const Endpoint& local,
                                        const Endpoint& remote) {
  for (IkeSa* sa : sasWithPeer(remote.address))
    if (sa->connection.name == connection.name && !sa->replaced && sa->state != IkeSaState::Deleting) {
      const auto serial = sa->serial;
      // An acquire for a peer whose IKE SA lost its last CHILD SA (expired after a refused
      // rekey, or deleted by the peer): without a new one the traffic would meet the trap again
      // and again while the IKE SA lives on.
      const bool childless = std::none_of(sa->children.begin(), sa->children.end(),
                                          [](const ChildSa& c) { return !c.retiring; });
      if (sa->state == IkeSaState::Established && childless && !sa->newChildPending) {
        host_.log(LogLevel::Info, "IKE SA #" + std::to_string(serial) +
                                      " has no CHILD SA: asking for a new one (RFC 7296 §1.3.1)");
        sa->newChildPending = true;
        requestChildSa(serial, 0);
      }
      return serial;
    }
  auto specs = parseProposals(connection.ikeProposals, false);
  if (!specs)
    return fail("connection '" + connection.name + "': ike=" + connection.ikeProposals + ": " +
                specs.error().message);
  auto nonce = randomBytes(settings_.nonceLength);
  if (!nonce) return fail("nonce: " + nonce.error().message);
  IkeSa& sa = createSa(connection, local, remote, true);
  sa.ikeSpecs = std::move(*specs);
  sa.offeredIke = toWireProposals(sa.ikeSpecs, ProtocolId::Ike, {}, true);
  sa.nonceInitiator = std::move(*nonce);
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(sa.serial) + ": initiating " + connection.name +
                                " to " + remote.toString());
  generateInitiatorKe(sa, sa.ikeSpecs.front().groups.front());
  return sa.serial;
}

void IkeEngine::generateInitiatorKe(IkeSa& sa, DhGroup group) {
  sa.state = IkeSaState::InitiatorKeyGeneration;
  const auto serial = sa.serial;
  offload([this, serial, group]() -> std::function<void()> {
    auto created = std::make_shared<Result<std::unique_ptr<KeyExchange>>>(KeyExchange::create(group));
    return [this, serial, created] {
      IkeSa* s = find(serial);
      if (!s) return;
      if (!*created) {
        removeSa(serial, "key exchange: " + created->error().message);
        return;
      }
      s->keyExchange = std::shared_ptr<KeyExchange>(std::move(created->value()));
      sendIkeSaInit(*s);
    };
  });
}

void IkeEngine::sendIkeSaInit(IkeSa& sa) {
  Message message;
  message.header = {sa.initiatorSpi, 0, ExchangeType::IkeSaInit, true, false, false, 0};
  // RFC 7296 §2.6: the cookie goes first.
  if (!sa.cookie.empty()) message.payloads.push_back(notify(NotifyType::Cookie, sa.cookie));
  message.payloads.push_back({PayloadType::SecurityAssociation, SecurityAssociationPayload{sa.offeredIke}});
  const auto& publicValue = sa.keyExchange->publicValue();
  message.payloads.push_back(
      {PayloadType::KeyExchange, KeyExchangePayload{static_cast<std::uint16_t>(sa.keyExchange->group()),
                                                    Bytes(publicValue.begin(), publicValue.end())}});
  message.payloads.push_back({PayloadType::Nonce, NoncePayload{sa.nonceInitiator}});
  message.payloads.push_back(
      notify(NotifyType::NatDetectionSourceIp,
             natDetectionHash(sa.initiatorSpi, 0, natDetectionSource(sa.connection, sa.local))));
  message.payloads.push_back(
      notify(NotifyType::NatDetectionDestinationIp, natDetectionHash(sa.initiatorSpi, 0, sa.remote)));
  if (sa.connection.fragmentation)
    message.payloads.push_back(notify(NotifyType::Ikev2FragmentationSupported));
  if (usesSignatures(sa.connection)) message.payloads.push_back(signatureHashAlgorithms());
  // RFC 6023 §3: we accept an IKE_AUTH without CHILD SA, and may send one.
  message.payloads.push_back(notify(NotifyType::ChildlessIkev2Supported));
  auto bytes = encode(message);
  sa.initiatorFirstMessage = bytes;  // RFC 7296 §2.15: the request the responder answered
  requestDone(sa);
  sa.nextRequestId = 0;
  sa.state = IkeSaState::InitiatorInitSent;
  sendRequest(sa, RequestKind::IkeSaInit, {std::move(bytes)});
}

void IkeEngine::onIkeSaInitResponse(IkeSa& sa, const Message& message,
                                    std::span<const std::uint8_t> datagram) {
  const auto& header = message.header;
  if (sa.state != IkeSaState::InitiatorInitSent || !sa.outstanding || header.messageId != 0) {
    reject("IKE_SA_INIT", "response to no IKE_SA_INIT request of IKE SA #" + std::to_string(sa.serial),
           sa.remote);
    return;
  }
  const auto serial = sa.serial;
  if (const auto* cookie = message.findNotify(NotifyType::Cookie)) {
    if (!sa.cookie.empty() && cookie->data == sa.cookie) {
      // The answer to a copy sent before the cookie: the request with it is out already.
      host_.log(LogLevel::Debug,
                "IKE SA #" + std::to_string(serial) + ": a COOKIE demand we answered already");
      return;
    }
    if (++sa.cookieRounds > 3 || cookie->data.empty() || cookie->data.size() > 64) {
      requestDone(sa);
      removeSa(serial, "the responder keeps demanding a cookie");
      return;
    }
    ++counters_.cookiesHonoured;
    sa.cookie = cookie->data;
    host_.log(LogLevel::Info,
              "IKE SA #" + std::to_string(serial) + ": responder demands a cookie; resending");
    sendIkeSaInit(sa);
    return;
  }
  if (const auto* invalidKe = message.findNotify(NotifyType::InvalidKePayload)) {
    std::optional<DhGroup> wanted;
    if (invalidKe->data.size() == 2)
      wanted = dhGroupFromId(static_cast<std::uint16_t>(invalidKe->data[0] << 8 | invalidKe->data[1]));
    bool offered = false;
    for (const auto& spec : sa.ikeSpecs)
      offered = offered || (wanted && std::count(spec.groups.begin(), spec.groups.end(), *wanted));
    requestDone(sa);
    if (!offered || *wanted == sa.keyExchange->group() || ++sa.invalidKeRounds > 2) {
      removeSa(serial, "INVALID_KE_PAYLOAD names a group we did not offer");
      return;
    }
    ++counters_.invalidKeRetries;
    host_.log(LogLevel::Info, "IKE SA #" + std::to_string(serial) + ": responder wants " +
                                  transformName(*wanted) + "; retrying (RFC 7296 §1.2)");
    sa.keyExchange.reset();
    generateInitiatorKe(sa, *wanted);
    return;
  }
  for (const auto& payload : message.payloads)
    if (const auto* n = payload.as<NotifyPayload>(); n && isErrorNotify(n->type)) {
      requestDone(sa);
      removeSa(serial, "the responder refused IKE_SA_INIT: " + notifyTypeName(n->type));
      return;
    }
  const auto* saPayload = message.find(PayloadType::SecurityAssociation);
  const auto* kePayload = message.find(PayloadType::KeyExchange);
  const auto* noncePayload = message.find(PayloadType::Nonce);
  if (!saPayload || !kePayload || !noncePayload || header.responderSpi == 0) {
    reject("IKE_SA_INIT", "response without SA, KE, Nonce or responder SPI", sa.remote);
    return;
  }
  auto accepted =
      acceptedProposal(sa.offeredIke, *saPayload->as<SecurityAssociationPayload>(), ProtocolId::Ike);
  const auto& ke = *kePayload->as<KeyExchangePayload>();
  if (!accepted || !accepted->group || ke.group != static_cast<std::uint16_t>(sa.keyExchange->group()) ||
      *accepted->group != sa.keyExchange->group()) {
    const std::string reason =
        !accepted ? accepted.error().message : "KE: group does not match our KE payload";
    reject("SA", reason, sa.remote);
    requestDone(sa);
    removeSa(serial, "IKE_SA_INIT response unacceptable: " + reason);
    return;
  }
  requestDone(sa);
  sa.responderSpi = header.responderSpi;
  sa.ike = *accepted;
  sa.nonceResponder = noncePayload->as<NoncePayload>()->nonce;
  sa.responderFirstMessage.assign(datagram.begin(), datagram.end());
  sa.peerFragmentation = message.findNotify(NotifyType::Ikev2FragmentationSupported) != nullptr;
  sa.peerChildless = message.findNotify(NotifyType::ChildlessIkev2Supported) != nullptr;
  if (const auto* source = message.findNotify(NotifyType::NatDetectionSourceIp))
    sa.natRemote = source->data != natDetectionHash(sa.initiatorSpi, sa.responderSpi, sa.remote);
  if (const auto* destination = message.findNotify(NotifyType::NatDetectionDestinationIp))
    sa.natLocal = destination->data != natDetectionHash(sa.initiatorSpi, sa.responderSpi, sa.local);
  if (sa.connection.forceEncapsulation) sa.natLocal = true;
  sa.state = IkeSaState::InitiatorDerivingKeys;
  offload([this, serial, kex = sa.keyExchange, ike = sa.ike, peer = ke.keyData, ni = sa.nonceInitiator,
           nr = sa.nonceResponder, spiI = sa.initiatorSpi,
           spiR = sa.responderSpi]() -> std::function<void()> {
    auto result = computeIkeKeys(kex, kex->group(), ike, peer, ni, nr, spiI, spiR);
    return [this, serial, result] {
      IkeSa* s = find(serial);
      if (!s) return;
      if (!result->keys) {
        removeSa(serial, result->error);
        return;
      }
      // RFC 7296 §2.12: forward secrecy holds only once our DH private key is gone; the keys
      // exist now, so it is not kept for the life of the IKE SA.
      s->keyExchange.reset();
      if (auto installed = installIkeKeys(*s, *result->keys); !installed) {
        removeSa(serial, installed.error().message);
        return;
      }
      startIkeAuth(*s);
    };
  });
}

Result<void> IkeEngine::installIkeKeys(IkeSa& sa, const IkeSaKeys& keys) {
  sa.keys = keys;
  const auto& outE = sa.initiator ? keys.skEi : keys.skEr;
  const auto& outA = sa.initiator ? keys.skAi : keys.skAr;
  const auto& inE = sa.initiator ? keys.skEr : keys.skEi;
  const auto& inA = sa.initiator ? keys.skAr : keys.skAi;
  auto outbound = SkCipher::create(sa.ike.encryption, sa.ike.integrity, outE, outA);
  if (!outbound) return fail("SK cipher: " + outbound.error().message);
  auto inbound = SkCipher::create(sa.ike.encryption, sa.ike.integrity, inE, inA);
  if (!inbound) return fail("SK cipher: " + inbound.error().message);
  sa.outboundCipher = std::move(*outbound);
  sa.inboundCipher = std::move(*inbound);
  return success();
}

void IkeEngine::rememberCookieDemand(const std::pair<std::uint64_t, IpAddress>& initiator) {
  if (!cookieDemanded_.insert(initiator).second) return;
  cookieDemandOrder_.push_back(initiator);
  if (cookieDemandOrder_.size() > kRememberedCookieDemands) {
    cookieDemanded_.erase(cookieDemandOrder_.front());
    cookieDemandOrder_.pop_front();
  }
}

Bytes IkeEngine::cookieFor(const Bytes& nonce, const IpAddress& address, std::uint64_t initiatorSpi) const {
  // RFC 7296 §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>).
  Bytes input = nonce;
  input.insert(input.end(), address.data(), address.data() + address.size());
  auto spi = spiBytes(initiatorSpi);
  input.insert(input.end(), spi.begin(), spi.end());
  auto mac = prf(PrfAlgorithm::HmacSha2_256, cookieSecret_, input);
  Bytes cookie(1 + (mac ? mac->size() : 0), 0);
  cookie[0] = 1;  // the version of the secret
  if (mac) std::copy(mac->begin(), mac->end(), cookie.begin() + 1);
  return cookie;
}

bool IkeEngine::resolveCrossing(const ConnectionView& connection, const Endpoint& remote,
                                const Bytes& peerNonce) {
  for (IkeSa* sa : sasWithPeer(remote.address)) {
    if (!sa->initiator || sa->established || sa->replaced || sa->connection.name != connection.name) continue;
    // Both sides started at once. Both compare the two initiator nonces the same way, so
    // exactly one initiation survives: the one with the lower nonce.
    if (std::lexicographical_compare(sa->nonceInitiator.begin(), sa->nonceInitiator.end(), peerNonce.begin(),
                                     peerNonce.end()))
      return false;
    const auto ours = sa->serial;
    sa->replaced = true;  // not a failure: the peer's IKE SA takes its place
    removeSa(ours, "crossing initiation: the peer's IKE SA goes on");
    return true;
  }
  return true;
}

void IkeEngine::onIkeSaInitRequest(const Message& message, std::span<const std::uint8_t> datagram,
                                   const Endpoint& from, const Endpoint& to) {
  const auto& header = message.header;
  if (header.responderSpi != 0 || header.messageId != 0 || !header.initiator) {
    reject("IKE_SA_INIT", "request with responder SPI, message ID or flags set", from);
    return;
  }
  if (auto known = byInitiatorSpi_.find({header.initiatorSpi, from}); known != byInitiatorSpi_.end()) {
    // RFC 7296 §2.1: a retransmitted first message gets the same answer again.
    IkeSa* sa = find(known->second);
    if (sa && sa->lastResponseId == 0u && !sa->lastResponse.empty() && sa->expectedPeerRequestId == 1)
      answerRetransmission(*sa, datagram, from);
    return;
  }
  const auto* saPayload = message.find(PayloadType::SecurityAssociation);
  const auto* kePayload = message.find(PayloadType::KeyExchange);
  const auto* noncePayload = message.find(PayloadType::Nonce);
  if (!saPayload || !kePayload || !noncePayload) {
    reject("IKE_SA_INIT", "request without SA, KE or Nonce payload", from);
    return;
  }
  const auto& nonce = noncePayload->as<NoncePayload>()->nonce;
  const auto& ke = *kePayload->as<KeyExchangePayload>();
  auto connection = delegate_.connectionFor(to, from);
  if (!connection) {
    reject("peer", "no connection accepts " + from.address.toString(), from);
    sendUnprotectedNotify(header, NotifyType::NoProposalChosen, {}, to, from);
    return;
  }
  // Once a cookie was demanded from this initiator, only its request with the cookie makes
  // state, also when the load has dropped meanwhile: a late copy of its first request would make
  // state from that request while the initiator answers, and signs, the one with the cookie
  // (RFC 7296 §2.15: RealMessage1), and its AUTH would fail.
  const std::pair<std::uint64_t, IpAddress> initiator{header.initiatorSpi, from.address};
  if (halfOpen_ >= settings_.cookieThreshold || cookieDemanded_.count(initiator)) {
    const auto expected = cookieFor(nonce, from.address, header.initiatorSpi);
    const auto* first = message.payloads.front().as<NotifyPayload>();
    if (!first || first->type != NotifyType::Cookie || first->data != expected) {
      rememberCookieDemand(initiator);
      // RFC 7296 §2.6: no state until the initiator proves it receives at its address.
      if (worthLogging(++counters_.cookiesDemanded))
        host_.log(LogLevel::Info, std::to_string(halfOpen_) + " half-open IKE SAs: demanding a cookie from " +
                                      from.toString() + " (" + std::to_string(counters_.cookiesDemanded) +
                                      " cookies demanded so far)");
      sendUnprotectedNotify(header, NotifyType::Cookie, expected, to, from);
      return;
    }
  }
  if (!resolveCrossing(*connection, from, nonce)) {
    reject("IKE_SA_INIT", "crossing initiation: our own IKE SA with this peer goes on", from);
    return;
  }
  auto specs = parseProposals(connection->ikeProposals, false);
  if (!specs) {
    host_.log(LogLevel::Error, "connection '" + connection->name + "': ike=: " + specs.error().message);
    sendUnprotectedNotify(header, NotifyType::NoProposalChosen, {}, to, from);
    return;
  }
  auto selection =
      selectProposal(*specs, *saPayload->as<SecurityAssociationPayload>(), ProtocolId::Ike, ke.group, false);
  if (!selection) {
    reject("SA", selection.error().message, from);
    sendUnprotectedNotify(header, NotifyType::NoProposalChosen, {}, to, from);
    return;
  }
  if (selection->wantedGroup) {
    // RFC 7296 §1.2: the initiator guessed the group wrong; tell it which one we want.
    reject("KE",
           "group " + std::to_string(ke.group) + " is not the chosen proposal's; asking for " +
               transformName(*selection->wantedGroup),
           from);
    sendUnprotectedNotify(header, NotifyType::InvalidKePayload, groupBytes(*selection->wantedGroup), to,
                          from);
    return;
  }
  auto ourNonce = randomBytes(settings_.nonceLength);
  if (!ourNonce) {
    host_.log(LogLevel::Error, "nonce: " + ourNonce.error().message);
    return;
  }
  IkeSa& sa = createSa(*connection, to, from, false);
  const auto serial = sa.serial;
  sa.initiatorSpi = header.initiatorSpi;
  sa.ike = selection->algorithms;
  sa.nonceInitiator = nonce;
  sa.nonceResponder = std::move(*ourNonce);
  sa.initiatorFirstMessage.assign(datagram.begin(), datagram.end());
  sa.peerFragmentation =
      connection->fragmentation && message.findNotify(NotifyType::Ikev2FragmentationSupported) != nullptr;
  sa.peerChildless = message.findNotify(NotifyType::ChildlessIkev2Supported) != nullptr;
  if (const auto* source = message.findNotify(NotifyType::NatDetectionSourceIp))
    sa.natRemote = source->data != natDetectionHash(sa.initiatorSpi, 0, from);
  if (const auto* destination = message.findNotify(NotifyType::NatDetectionDestinationIp))
    sa.natLocal = destination->data != natDetectionHash(sa.initiatorSpi, 0, to);
  if (connection->forceEncapsulation) sa.natLocal = true;
  byInitiatorSpi_[{header.initiatorSpi, from}] = serial;
  sa.halfOpen = true;
  ++halfOpen_;
  sa.state = IkeSaState::ResponderComputing;
  // RFC 7427 §4: answered only to an initiator that announced its own hashes.
  const bool answerSignatureHashes =
      usesSignatures(*connection) && message.findNotify(NotifyType::SignatureHashAlgorithms) != nullptr;
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(serial) + ": IKE_SA_INIT from " + from.toString() +
                                " for " + connection->name + " (" + sa.ike.describe(true) + ")");
  offload([this, serial, group = *sa.ike.group, ike = sa.ike, peer = ke.keyData, ni = sa.nonceInitiator,
           nr = sa.nonceResponder, spiI = sa.initiatorSpi, spiR = sa.responderSpi,
           answerSignatureHashes]() -> std::function<void()> {
    auto result = computeIkeKeys(nullptr, group, ike, peer, ni, nr, spiI, spiR);
    return [this, serial, result, answerSignatureHashes] {
      IkeSa* s = find(serial);
      if (!s) return;
      if (!result->keys) {
        reject("KE", result->error, s->remote);
        removeSa(serial, result->error);
        return;
      }
      if (auto installed = installIkeKeys(*s, *result->keys); !installed) {
        removeSa(serial, installed.error().message);
        return;
      }
      Message answer;
      answer.header = {s->initiatorSpi, s->responderSpi, ExchangeType::IkeSaInit, false, false, true, 0};
      answer.payloads.push_back({PayloadType::SecurityAssociation,
                                 SecurityAssociationPayload{{answerProposal(s->ike, ProtocolId::Ike, {})}}});
      const auto& publicValue = result->keyExchange->publicValue();
      answer.payloads.push_back(
          {PayloadType::KeyExchange, KeyExchangePayload{static_cast<std::uint16_t>(*s->ike.group),
                                                        Bytes(publicValue.begin(), publicValue.end())}});
      answer.payloads.push_back({PayloadType::Nonce, NoncePayload{s->nonceResponder}});
      answer.payloads.push_back(notify(
          NotifyType::NatDetectionSourceIp,
          natDetectionHash(s->initiatorSpi, s->responderSpi, natDetectionSource(s->connection, s->local))));
      answer.payloads.push_back(notify(NotifyType::NatDetectionDestinationIp,
                                       natDetectionHash(s->initiatorSpi, s->responderSpi, s->remote)));
      if (s->peerFragmentation) answer.payloads.push_back(notify(NotifyType::Ikev2FragmentationSupported));
      if (answerSignatureHashes) answer.payloads.push_back(signatureHashAlgorithms());
      answer.payloads.push_back(notify(NotifyType::ChildlessIkev2Supported));  // RFC 6023 §3
      // RFC 7296 §1.2: the responder may ask for certificates in IKE_SA_INIT already.
      if (auto* verifier = delegate_.authMethod(s->connection, s->connection.remoteAuth))
        for (const auto& request : verifier->certificateRequests(s->connection.name))
          answer.payloads.push_back(
              {PayloadType::CertificateRequest,
               CertificateRequestPayload{static_cast<CertificateEncoding>(request.encoding), request.data}});
      auto bytes = encode(answer);
      s->responderFirstMessage = bytes;
      s->lastResponseId = 0;
      s->lastResponse = {std::move(bytes)};
      s->lastRequest = requestDigest(s->initiatorFirstMessage);
      s->expectedPeerRequestId = 1;
      s->state = IkeSaState::ResponderAwaitingAuth;
      sendDatagrams(*s, s->lastResponse);
      // A half-open SA whose initiator never continues is forgotten (RFC 7296 §2.6).
      host_.startTimer(s->connection.retransmitTimeout, false, [this, serial] {
        IkeSa* half = find(serial);
        if (half && !half->established && half->state == IkeSaState::ResponderAwaitingAuth)
          removeSa(serial, "half-open IKE SA: no IKE_AUTH arrived");
      });
    };
  });
}

}  // namespace ikemesh::ike
