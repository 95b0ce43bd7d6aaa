// SPDX-License-Identifier: GPL-2.0-or-later
// CREATE_CHILD_SA (RFC 7296 §1.3): CHILD SA rekey with optional PFS (§2.8) and IKE SA rekey
// (§2.18), in both roles.
#include <algorithm>

#include "ike/crypto/Random.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "ike/engine/NatDetection.hpp"
#include "ike/engine/TrafficSelectorNarrowing.hpp"
#include "ike/message/Message.hpp"

namespace ikemesh::ike {

namespace {

Payload notify(NotifyType type, Bytes data = {}) {
  return Payload{PayloadType::Notify, NotifyPayload{ProtocolId::None, {}, type, std::move(data)}};
}

Bytes espSpi(std::uint32_t spi) {
  return {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
          static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
}

std::optional<std::uint32_t> espSpiValue(const Bytes& spi) {
  if (spi.size() != 4) return std::nullopt;
  return static_cast<std::uint32_t>(spi[0]) << 24 | static_cast<std::uint32_t>(spi[1]) << 16 |
         static_cast<std::uint32_t>(spi[2]) << 8 | spi[3];
}

std::optional<std::uint64_t> ikeSpiValue(const Bytes& spi) {
  if (spi.size() != 8) return std::nullopt;
  std::uint64_t value = 0;
  for (auto b : spi) value = (value << 8) | b;
  return value;
}

Payload kePayload(const KeyExchange& kex) {
  const auto value = kex.publicValue();
  return {PayloadType::KeyExchange,
          KeyExchangePayload{static_cast<std::uint16_t>(kex.group()), Bytes(value.begin(), value.end())}};
}

/// A key pair created on a worker, and optionally g^ir with the peer's value.
struct KexComputation {
  std::shared_ptr<KeyExchange> keyExchange;
  SecureBytes secret;
  std::string error;
};

std::shared_ptr<KexComputation> computeKex(std::shared_ptr<KeyExchange> kex, DhGroup group,
                                           const Bytes* peer) {
  auto out = std::make_shared<KexComputation>();
  if (!kex) {
    auto created = KeyExchange::create(group);
    if (!created) {
      out->error = "key exchange: " + created.error().message;
      return out;
    }
    kex = std::move(created.value());
  }
  out->keyExchange = kex;
  if (peer) {
    auto secret = kex->sharedSecret(*peer);
    if (!secret) {
      out->error = "KE payload: " + secret.error().message;
      return out;
    }
    out->secret = std::move(*secret);
  }
  return out;
}

Bytes lowerOf(const Bytes& x, const Bytes& y) {
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end()) ? x : y;
}

}  // namespace

void IkeEngine::recordChildRekey(IkeSa& sa, std::uint32_t replacedInboundSpi, IkeSa::RekeyRecord record) {
  auto& records = sa.childRekeys[replacedInboundSpi];
  auto other = std::find_if(records.begin(), records.end(),
                            [&](const IkeSa::RekeyRecord& r) { return r.ours != record.ours; });
  if (other == records.end()) {
    records.push_back(std::move(record));
    return;
  }
  const auto& ours = record.ours ? record : *other;
  const auto& theirs = record.ours ? *other : record;
  const bool oursHasLowest = std::lexicographical_compare(
      ours.lowestNonce.begin(), ours.lowestNonce.end(), theirs.lowestNonce.begin(), theirs.lowestNonce.end());
  const auto redundant = ours.newInboundSpi;
  sa.childRekeys.erase(replacedInboundSpi);
  if (!oursHasLowest) return;  // the peer deletes the CHILD SA it created
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(sa.serial) + ": simultaneous rekey of CHILD SA " +
                                std::to_string(replacedInboundSpi) + "; deleting our redundant CHILD SA " +
                                std::to_string(redundant) + " (RFC 7296 §2.8.1)");
  (void)deleteChildSa(sa.serial, redundant);
}

Result<void> IkeEngine::rekeyChildSa(IkeSaSerial serial, std::uint32_t inboundSpi) {
  IkeSa* sa = find(serial);
  if (!sa || sa->state != IkeSaState::Established)
    return fail("no established IKE SA #" + std::to_string(serial));
  auto child = std::find_if(sa->children.begin(), sa->children.end(),
                            [&](const ChildSa& c) { return c.inboundSpi == inboundSpi && !c.retiring; });
  if (child == sa->children.end())
    return fail("IKE SA #" + std::to_string(serial) + " has no live CHILD SA " + std::to_string(inboundSpi));
  // Each direction of a CHILD SA reaches its soft lifetime and reports it: one rekey is enough.
  if (child->rekeying) return success();
  child->rekeying = true;
  requestChildSa(serial, inboundSpi);
  return success();
}

void IkeEngine::requestChildSa(IkeSaSerial serial, std::uint32_t replacesInboundSpi) {
  IkeSa* sa = find(serial);
  if (!sa) return;
  if (!sa->connection.pfs) {
    whenWindowOpen(
        *sa, [this, serial, replacesInboundSpi] { sendChildRequest(serial, replacesInboundSpi, nullptr); });
    return;
  }
  // PFS (RFC 7296 §1.3.1): a fresh key pair, in the IKE SA's group, made off the event loop.
  offload([this, serial, replacesInboundSpi, group = *sa->ike.group]() -> std::function<void()> {
    auto result = computeKex(nullptr, group, nullptr);
    return [this, serial, replacesInboundSpi, result] {
      IkeSa* s = find(serial);
      if (!s) return;
      if (!result->keyExchange) {
        host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": " + result->error);
        if (!replacesInboundSpi) s->newChildPending = false;
        return;
      }
      whenWindowOpen(*s, [this, serial, replacesInboundSpi, kex = result->keyExchange] {
        sendChildRequest(serial, replacesInboundSpi, kex);
      });
    };
  });
}

void IkeEngine::sendChildRequest(IkeSaSerial serial, std::uint32_t replacesInboundSpi,
                                 std::shared_ptr<KeyExchange> keyExchange) {
  IkeSa* sa = find(serial);
  if (!sa) return;
  if (sa->state != IkeSaState::Established) {
    sa->newChildPending = false;
    return;
  }
  auto child = std::find_if(sa->children.begin(), sa->children.end(), [&](const ChildSa& c) {
    return c.inboundSpi == replacesInboundSpi && !c.retiring;
  });
  if (replacesInboundSpi && child == sa->children.end()) return;  // deleted meanwhile
  auto specs = parseProposals(sa->connection.espProposals, true);
  auto spi = sa->dataplane ? sa->dataplane->allocateSpi(sa->remote.address, sa->local.address)
                           : Result<std::uint32_t>(fail("no dataplane"));
  auto nonce = randomBytes(settings_.nonceLength);
  if (!specs || !spi || !nonce) {
    if (!replacesInboundSpi) sa->newChildPending = false;
    host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": cannot request a CHILD SA: " +
                                   (!specs ? specs.error().message
                                    : !spi ? spi.error().message
                                           : nonce.error().message));
    return;
  }
  ChildNegotiation negotiation;
  negotiation.inboundSpi = *spi;
  negotiation.replacesInboundSpi = replacesInboundSpi;
  negotiation.nonce = std::move(*nonce);
  negotiation.keyExchange = keyExchange;
  negotiation.offered =
      toWireProposals(*specs, ProtocolId::Esp, espSpi(*spi), keyExchange != nullptr,
                      keyExchange ? std::optional<DhGroup>(keyExchange->group()) : std::nullopt);
  // Keep the KE group first among each proposal's groups: it is the one we computed.
  const bool rekey = replacesInboundSpi != 0;
  negotiation.initiatorSelectors = rekey ? child->localSelectors : localSelectors(*sa);
  negotiation.responderSelectors = rekey ? child->remoteSelectors : remoteSelectors(*sa);
  const auto mode = rekey ? child->mode : sa->connection.mode;
  std::vector<Payload> inner;
  // RFC 7296 §1.3.3: REKEY_SA names the SA being replaced by our inbound SPI.
  if (rekey)
    inner.push_back({PayloadType::Notify,
                     NotifyPayload{ProtocolId::Esp, espSpi(replacesInboundSpi), NotifyType::RekeySa, {}}});
  if (mode == IpsecMode::Transport) inner.push_back(notify(NotifyType::UseTransportMode));
  inner.push_back({PayloadType::SecurityAssociation, SecurityAssociationPayload{negotiation.offered}});
  inner.push_back({PayloadType::Nonce, NoncePayload{negotiation.nonce}});
  if (keyExchange) inner.push_back(kePayload(*keyExchange));
  inner.push_back({PayloadType::TsInitiator, TrafficSelectorPayload{negotiation.initiatorSelectors}});
  inner.push_back({PayloadType::TsResponder, TrafficSelectorPayload{negotiation.responderSelectors}});
  sa->childNegotiation = std::move(negotiation);
  if (auto sent = sendProtectedRequest(*sa, RequestKind::CreateChild, ExchangeType::CreateChildSa, inner);
      !sent)
    host_.log(LogLevel::Error, sent.error().message);
}

Result<void> IkeEngine::rekeyIkeSa(IkeSaSerial serial) {
  IkeSa* sa = find(serial);
  if (!sa || sa->state != IkeSaState::Established)
    return fail("no established IKE SA #" + std::to_string(serial));
  offload([this, serial, group = *sa->ike.group]() -> std::function<void()> {
    auto result = computeKex(nullptr, group, nullptr);
    return [this, serial, result] {
      IkeSa* s = find(serial);
      if (!s) return;
      if (!result->keyExchange) {
        host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": " + result->error);
        return;
      }
      whenWindowOpen(*s, [this, serial, kex = result->keyExchange] { sendIkeRekey(serial, kex); });
    };
  });
  return success();
}

void IkeEngine::sendIkeRekey(IkeSaSerial serial, std::shared_ptr<KeyExchange> keyExchange) {
  IkeSa* sa = find(serial);
  if (!sa || sa->state != IkeSaState::Established) return;
  auto specs = parseProposals(sa->connection.ikeProposals, false);
  auto nonce = randomBytes(settings_.nonceLength);
  if (!specs || !nonce) return;
  // The group we computed goes first in every proposal, so that the KE payload matches.
  for (auto& spec : *specs) {
    auto it = std::find(spec.groups.begin(), spec.groups.end(), keyExchange->group());
    if (it != spec.groups.end()) std::rotate(spec.groups.begin(), it, it + 1);
  }
  ChildNegotiation negotiation;
  negotiation.newIkeSpi = freshIkeSpi();
  negotiation.ikeSpecs = *specs;
  negotiation.offered = toWireProposals(*specs, ProtocolId::Ike, spiBytes(negotiation.newIkeSpi), true);
  negotiation.nonce = std::move(*nonce);
  negotiation.keyExchange = keyExchange;
  std::vector<Payload> inner{
      {PayloadType::SecurityAssociation, SecurityAssociationPayload{negotiation.offered}},
      {PayloadType::Nonce, NoncePayload{negotiation.nonce}},
      kePayload(*keyExchange)};
  sa->childNegotiation = std::move(negotiation);
  if (auto sent = sendProtectedRequest(*sa, RequestKind::RekeyIke, ExchangeType::CreateChildSa, inner); !sent)
    host_.log(LogLevel::Error, sent.error().message);
}

bool IkeEngine::adoptRekeyedSa(IkeSa& old, bool initiator, std::uint64_t initiatorSpi,
                               std::uint64_t responderSpi, const NegotiatedAlgorithms& ike,
                               const IkeSaKeys& keys, const Bytes& nonceI, const Bytes& nonceR) {
  const auto oldSerial = old.serial;
  IkeSa& sa =
      createSa(old.connection, old.local, old.remote, initiator, initiator ? initiatorSpi : responderSpi);
  const auto newSerial = sa.serial;
  IkeSa& previous = *find(oldSerial);
  sa.initiatorSpi = initiatorSpi;
  sa.responderSpi = responderSpi;
  sa.ike = ike;
  sa.ikeSpecs = previous.ikeSpecs;
  sa.nonceInitiator = nonceI;
  sa.nonceResponder = nonceR;
  sa.natLocal = previous.natLocal;
  sa.natRemote = previous.natRemote;
  sa.peerFragmentation = previous.peerFragmentation;
  sa.peerId = previous.peerId;
  if (auto installed = installIkeKeys(sa, keys); !installed)
    host_.log(LogLevel::Error, "IKE SA #" + std::to_string(sa.serial) + ": " + installed.error().message);
  // RFC 7296 §2.18: the CHILD SAs now belong to the new IKE SA.
  sa.children = std::move(previous.children);
  previous.children.clear();
  previous.replaced = true;
  host_.log(LogLevel::Info,
            "IKE SA #" + std::to_string(oldSerial) + " rekeyed as #" + std::to_string(sa.serial));
  establish(sa);

  IkeSa::IkeRekeyRecord record{initiator, newSerial, lowerOf(nonceI, nonceR)};
  IkeSa& replacedSa = *find(oldSerial);
  auto other = std::find_if(replacedSa.ikeRekeys.begin(), replacedSa.ikeRekeys.end(),
                            [&](const IkeSa::IkeRekeyRecord& r) { return r.ours != initiator; });
  if (other == replacedSa.ikeRekeys.end()) {
    replacedSa.ikeRekeys.push_back(std::move(record));
    return initiator;  // the rekey initiator deletes the old IKE SA (RFC 7296 §2.18)
  }
  // RFC 7296 §2.8.1: both peers rekeyed; the new IKE SA created with the lowest of the four
  // nonces is redundant, and its creator deletes it. Both peers decide alike.
  const auto ours = record.ours ? record : *other;
  const auto theirs = record.ours ? *other : record;
  replacedSa.ikeRekeys.clear();
  const bool oursLoses = std::lexicographical_compare(ours.lowestNonce.begin(), ours.lowestNonce.end(),
                                                      theirs.lowestNonce.begin(), theirs.lowestNonce.end());
  IkeSa* winner = find(oursLoses ? theirs.newIkeSa : ours.newIkeSa);
  IkeSa* loser = find(oursLoses ? ours.newIkeSa : theirs.newIkeSa);
  if (winner && loser) {
    for (auto& child : loser->children) winner->children.push_back(std::move(child));
    loser->children.clear();
    loser->replaced = true;
    host_.log(LogLevel::Info,
              "simultaneous rekey of IKE SA #" + std::to_string(oldSerial) + ": #" +
                  std::to_string(winner->serial) + " stays, #" + std::to_string(loser->serial) +
                  (oursLoses ? " is ours and goes" : " is the peer's to delete") + " (RFC 7296 §2.8.1)");
  }
  if (oursLoses) {
    (void)deleteIkeSa(ours.newIkeSa);
    return false;  // the peer's rekey survives: the peer deletes the old IKE SA
  }
  return initiator && replacedSa.state != IkeSaState::Deleting;
}

void IkeEngine::onCreateChildResponse(IkeSa& sa, RequestKind kind, const std::vector<Payload>& inner) {
  const auto serial = sa.serial;
  if (!sa.childNegotiation) return;
  auto negotiation = std::move(*sa.childNegotiation);
  sa.childNegotiation.reset();
  if (kind == RequestKind::CreateChild && !negotiation.replacesInboundSpi) sa.newChildPending = false;
  if (const auto* error = firstErrorNotify(inner)) {
    reject("CREATE_CHILD_SA", "the peer answered " + notifyTypeName(error->type), sa.remote);
    if (negotiation.inboundSpi && sa.dataplane)
      (void)sa.dataplane->deleteSa({negotiation.inboundSpi, sa.local.address});
    if (kind == RequestKind::CreateChild && !negotiation.replacesInboundSpi)
      childRefused(sa, notifyTypeName(error->type));
    return;
  }
  const auto* saPayload = findPayload(inner, PayloadType::SecurityAssociation);
  const auto* noncePayload = findPayload(inner, PayloadType::Nonce);
  const auto* ke = findPayload(inner, PayloadType::KeyExchange);
  if (!saPayload || !noncePayload || (negotiation.keyExchange && !ke)) {
    reject("CREATE_CHILD_SA", "response without SA, Nonce or the KE we asked for", sa.remote);
    return;
  }
  const auto protocol = kind == RequestKind::RekeyIke ? ProtocolId::Ike : ProtocolId::Esp;
  auto accepted =
      acceptedProposal(negotiation.offered, *saPayload->as<SecurityAssociationPayload>(), protocol);
  if (!accepted) {
    reject("SA", accepted.error().message, sa.remote);
    return;
  }
  if (ke && (!negotiation.keyExchange || ke->as<KeyExchangePayload>()->group !=
                                             static_cast<std::uint16_t>(negotiation.keyExchange->group()))) {
    reject("KE", "the answer's group is not ours", sa.remote);
    return;
  }
  const Bytes nonceR = noncePayload->as<NoncePayload>()->nonce;
  const Bytes peerValue = ke ? ke->as<KeyExchangePayload>()->keyData : Bytes{};
  if (kind == RequestKind::RekeyIke) {
    auto peerSpi = ikeSpiValue(accepted->spi);
    if (!peerSpi || !accepted->group) {
      reject("SA", "IKE rekey answer without an 8-octet SPI or group", sa.remote);
      return;
    }
    offload([this, serial, negotiation, nonceR, peerValue, accepted = *accepted, peerSpi = *peerSpi,
             oldPrf = sa.ike.prf, oldSkD = sa.keys.skD]() -> std::function<void()> {
      auto kex = computeKex(negotiation.keyExchange, negotiation.keyExchange->group(), &peerValue);
      std::optional<IkeSaKeys> keys;
      std::string error = kex->error;
      if (error.empty()) {
        // RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr).
        auto skeyseed = deriveRekeyedSkeyseed(oldPrf, oldSkD, kex->secret, negotiation.nonce, nonceR);
        const auto i = spiBytes(negotiation.newIkeSpi), r = spiBytes(peerSpi);
        if (skeyseed) {
          auto derived = deriveIkeSaKeys(
              {accepted.encryption, accepted.integrity, accepted.prf}, *skeyseed, negotiation.nonce, nonceR,
              std::span<const std::uint8_t, 8>(i.data(), 8), std::span<const std::uint8_t, 8>(r.data(), 8));
          if (derived)
            keys = std::move(*derived);
          else
            error = derived.error().message;
        } else {
          error = skeyseed.error().message;
        }
      }
      auto shared = std::make_shared<std::optional<IkeSaKeys>>(std::move(keys));
      return [this, serial, negotiation, nonceR, accepted, peerSpi, shared, error] {
        IkeSa* s = find(serial);
        if (!s) return;
        if (!*shared) {
          host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": IKE rekey: " + error);
          return;
        }
        if (adoptRekeyedSa(*s, true, negotiation.newIkeSpi, peerSpi, accepted, **shared, negotiation.nonce,
                           nonceR))
          (void)deleteIkeSa(serial);
      };
    });
    return;
  }
  negotiation.offered = {answerProposal(*accepted, ProtocolId::Esp, accepted->spi)};
  if (!negotiation.keyExchange) {
    finishChildResponse(serial, std::move(negotiation), inner, {});
    return;
  }
  offload([this, serial, negotiation, inner, peerValue, nonceR]() -> std::function<void()> {
    auto kex = computeKex(negotiation.keyExchange, negotiation.keyExchange->group(), &peerValue);
    return [this, serial, negotiation, inner, kex] {
      if (!kex->error.empty()) {
        host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": CHILD rekey: " + kex->error);
        return;
      }
      finishChildResponse(serial, negotiation, inner, kex->secret);
    };
  });
}

void IkeEngine::finishChildResponse(IkeSaSerial serial, ChildNegotiation negotiation,
                                    std::vector<Payload> inner, SecureBytes sharedSecret) {
  IkeSa* sa = find(serial);
  if (!sa) return;
  const auto* noncePayload = findPayload(inner, PayloadType::Nonce);
  const auto* tsi = findPayload(inner, PayloadType::TsInitiator);
  const auto* tsr = findPayload(inner, PayloadType::TsResponder);
  const auto& chosen = negotiation.offered.front();
  auto accepted =
      acceptedProposal(negotiation.offered, SecurityAssociationPayload{{chosen}}, ProtocolId::Esp);
  auto peerSpi = accepted ? espSpiValue(accepted->spi) : std::nullopt;
  if (!tsi || !tsr || !peerSpi || !accepted) {
    reject("CREATE_CHILD_SA", "response without TSi, TSr or a 4-octet SPI", sa->remote);
    return;
  }
  const auto& selectorsI = tsi->as<TrafficSelectorPayload>()->selectors;
  const auto& selectorsR = tsr->as<TrafficSelectorPayload>()->selectors;
  if (!trafficSelectorsWithin(selectorsI, negotiation.initiatorSelectors) ||
      !trafficSelectorsWithin(selectorsR, negotiation.responderSelectors)) {
    reject("TS", "the responder widened the traffic selectors", sa->remote);
    return;
  }
  auto keys = deriveChildSaKeys(sa->ike.prf, sa->keys.skD, {accepted->encryption, accepted->integrity},
                                sharedSecret, negotiation.nonce, noncePayload->as<NoncePayload>()->nonce);
  if (!keys) {
    host_.log(LogLevel::Error, "KEYMAT: " + keys.error().message);
    return;
  }
  ChildSa child;
  child.inboundSpi = negotiation.inboundSpi;
  child.outboundSpi = *peerSpi;
  child.algorithms = *accepted;
  child.localSelectors = selectorsI;
  child.remoteSelectors = selectorsR;
  child.mode = findNotify(inner, NotifyType::UseTransportMode) ? IpsecMode::Transport : IpsecMode::Tunnel;
  child.encapsulated = sa->encapsulatesEsp();
  if (auto installed = installChild(*sa, std::move(child), *keys, true); !installed) {
    host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": " + installed.error().message);
    return;
  }
  // RFC 7296 §2.8: the rekey initiator deletes the old CHILD SA once the new one is in.
  if (negotiation.replacesInboundSpi) {
    (void)deleteChildSa(serial, negotiation.replacesInboundSpi);
    recordChildRekey(
        *sa, negotiation.replacesInboundSpi,
        {true, negotiation.inboundSpi, lowerOf(negotiation.nonce, noncePayload->as<NoncePayload>()->nonce)});
  }
}

void IkeEngine::onCreateChildRequest(IkeSa& sa, std::uint32_t messageId, const std::vector<Payload>& inner) {
  const auto serial = sa.serial;
  auto refuse = [&](NotifyType type, const std::string& reason, Bytes data = {}) {
    reject("CREATE_CHILD_SA", reason, sa.remote);
    sendProtectedResponse(sa, ExchangeType::CreateChildSa, messageId, {notify(type, std::move(data))});
  };
  const auto* saPayload = findPayload(inner, PayloadType::SecurityAssociation);
  const auto* noncePayload = findPayload(inner, PayloadType::Nonce);
  const auto* ke = findPayload(inner, PayloadType::KeyExchange);
  if (!saPayload || !noncePayload) {
    refuse(NotifyType::InvalidSyntax, "request without SA or Nonce");
    return;
  }
  const auto& offer = *saPayload->as<SecurityAssociationPayload>();
  const bool ikeRekey = !offer.proposals.empty() && offer.proposals.front().protocol == ProtocolId::Ike;
  const Bytes nonceI = noncePayload->as<NoncePayload>()->nonce;
  auto ourNonce = randomBytes(settings_.nonceLength);
  if (!ourNonce) {
    refuse(NotifyType::TemporaryFailure, "nonce: " + ourNonce.error().message);
    return;
  }
  const std::optional<std::uint16_t> keGroup =
      ke ? std::optional<std::uint16_t>(ke->as<KeyExchangePayload>()->group) : std::nullopt;
  const Bytes peerValue = ke ? ke->as<KeyExchangePayload>()->keyData : Bytes{};
  auto specs = parseProposals(ikeRekey ? sa.connection.ikeProposals : sa.connection.espProposals, !ikeRekey);
  if (!specs) {
    refuse(NotifyType::NoProposalChosen, specs.error().message);
    return;
  }
  if (ikeRekey && !ke) {
    refuse(NotifyType::InvalidSyntax, "IKE SA rekey without KE");
    return;
  }
  // ESP specs name no PFS group by default: accept the IKE SA's group (and any other we know).
  if (!ikeRekey && ke)
    for (auto& spec : *specs)
      if (spec.groups.empty())
        spec.groups = {*sa.ike.group, DhGroup::Curve25519, DhGroup::Ecp256, DhGroup::Ecp384,
                       DhGroup::Modp2048};
  auto selection = selectProposal(*specs, offer, ikeRekey ? ProtocolId::Ike : ProtocolId::Esp, keGroup, !ke);
  if (!selection) {
    refuse(NotifyType::NoProposalChosen, selection.error().message);
    return;
  }
  if (selection->wantedGroup) {
    const auto value = static_cast<std::uint16_t>(*selection->wantedGroup);
    refuse(NotifyType::InvalidKePayload, "KE group " + std::to_string(*keGroup) + " is not the chosen one",
           {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value & 0xff)});
    return;
  }
  std::uint32_t replacedInboundSpi = 0;
  if (!ikeRekey) {
    if (const auto* rekey = findNotify(inner, NotifyType::RekeySa)) {
      auto spi = espSpiValue(rekey->spi);
      auto replaced = std::find_if(sa.children.begin(), sa.children.end(),
                                   [&](const ChildSa& c) { return spi && c.outboundSpi == *spi; });
      if (replaced == sa.children.end()) {
        refuse(NotifyType::ChildSaNotFound, "REKEY_SA names no CHILD SA of ours");
        return;
      }
      replacedInboundSpi = replaced->inboundSpi;
    }
  }
  sa.peerRequestInProgress = true;
  const auto chosen = selection->algorithms;
  const auto newSpi = ikeRekey ? freshIkeSpi() : 0;
  offload([this, serial, messageId, inner, chosen, nonceI, nonceR = *ourNonce, peerValue, ikeRekey, newSpi,
           replacedInboundSpi, hasKe = ke != nullptr, oldPrf = sa.ike.prf,
           oldSkD = sa.keys.skD]() -> std::function<void()> {
    auto kex = hasKe ? computeKex(nullptr, *chosen.group, &peerValue) : std::make_shared<KexComputation>();
    std::optional<IkeSaKeys> ikeKeys;
    if (ikeRekey && kex->error.empty()) {
      auto peerSpi = ikeSpiValue(chosen.spi).value_or(0);
      auto skeyseed = deriveRekeyedSkeyseed(oldPrf, oldSkD, kex->secret, nonceI, nonceR);
      const auto i = spiBytes(peerSpi), r = spiBytes(newSpi);
      if (skeyseed) {
        auto derived = deriveIkeSaKeys({chosen.encryption, chosen.integrity, chosen.prf}, *skeyseed, nonceI,
                                       nonceR, std::span<const std::uint8_t, 8>(i.data(), 8),
                                       std::span<const std::uint8_t, 8>(r.data(), 8));
        if (derived)
          ikeKeys = std::move(*derived);
        else
          kex->error = derived.error().message;
      } else {
        kex->error = skeyseed.error().message;
      }
    }
    auto keysHolder = std::make_shared<std::optional<IkeSaKeys>>(std::move(ikeKeys));
    return [this, serial, messageId, inner, chosen, nonceI, nonceR, ikeRekey, newSpi, replacedInboundSpi, kex,
            keysHolder] {
      IkeSa* s = find(serial);
      if (!s) return;
      if (!kex->error.empty()) {
        s->peerRequestInProgress = false;
        reject("KE", kex->error, s->remote);
        sendProtectedResponse(*s, ExchangeType::CreateChildSa, messageId,
                              {notify(NotifyType::NoProposalChosen)});
        return;
      }
      if (ikeRekey) {
        auto peerSpi = ikeSpiValue(chosen.spi);
        if (!peerSpi) {
          sendProtectedResponse(*s, ExchangeType::CreateChildSa, messageId,
                                {notify(NotifyType::InvalidSyntax)});
          return;
        }
        std::vector<Payload> answer{
            {PayloadType::SecurityAssociation,
             SecurityAssociationPayload{{answerProposal(chosen, ProtocolId::Ike, spiBytes(newSpi))}}},
            {PayloadType::Nonce, NoncePayload{nonceR}},
            kePayload(*kex->keyExchange)};
        sendProtectedResponse(*s, ExchangeType::CreateChildSa, messageId, answer);
        adoptRekeyedSa(*s, false, *peerSpi, newSpi, chosen, **keysHolder, nonceI, nonceR);
        return;  // the initiator of the rekey deletes the old IKE SA
      }
      auto child = answerChildOffer(*s, inner, nonceI, nonceR, kex->secret, &chosen);
      std::vector<Payload> answer;
      for (auto& payload : child.payloads) {
        answer.push_back(payload);
        if (payload.type == PayloadType::SecurityAssociation) {
          answer.push_back({PayloadType::Nonce, NoncePayload{nonceR}});
          if (kex->keyExchange) answer.push_back(kePayload(*kex->keyExchange));
        }
      }
      // Installed before the answer leaves, so that the initiator's first ESP packets on the
      // new SA find it (see onIkeAuthRequest).
      if (child.child) {
        const auto newInbound = child.child->inboundSpi;
        if (auto installed =
                installChild(*s, std::move(*child.child), child.keys, false, replacedInboundSpi != 0);
            !installed)
          host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": " + installed.error().message);
        else if (replacedInboundSpi)
          recordChildRekey(*s, replacedInboundSpi, {false, newInbound, lowerOf(nonceI, nonceR)});
      }
      if (IkeSa* again = find(serial))
        sendProtectedResponse(*again, ExchangeType::CreateChildSa, messageId, answer);
    };
  });
}

}  // namespace ikemesh::ike
