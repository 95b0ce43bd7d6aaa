// SPDX-License-Identifier: GPL-2.0-or-later
// IKE_AUTH (RFC 7296 §1.2, §2.15) with the first CHILD SA, and CHILD SA installation in the
// connection's dataplane (§2.17).
#include <algorithm>

#include "ike/crypto/Random.hpp"
#include "ike/engine/AuthOctets.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "ike/engine/MessageProtection.hpp"
#include "ike/engine/PeerIdentity.hpp"
#include "ike/engine/RekeyTiming.hpp"
#include "ike/engine/SaHandover.hpp"
#include "ike/engine/TrafficSelectorNarrowing.hpp"
#include "ike/message/Message.hpp"
#include "util/ScopedWipe.hpp"

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

Identity identityOf(const IdentificationPayload& id) {
  return Identity{static_cast<ikemesh::IdType>(id.type), id.data};
}

std::vector<Certificate> certificatesIn(const std::vector<Payload>& inner) {
  std::vector<Certificate> out;
  for (const auto& payload : inner)
    if (const auto* cert = payload.as<CertificatePayload>())
      out.push_back({static_cast<std::uint8_t>(cert->encoding), cert->data});
  return out;
}

}  // namespace

std::vector<TrafficSelector> IkeEngine::localSelectors(const IkeSa& sa) const {
  if (!sa.connection.localSelectors.empty()) return sa.connection.localSelectors;
  return {TrafficSelector::forHost(sa.local.address)};
}

std::vector<TrafficSelector> IkeEngine::remoteSelectors(const IkeSa& sa) const {
  if (!sa.connection.remoteSelectors.empty()) return sa.connection.remoteSelectors;
  return {TrafficSelector::forHost(sa.remote.address)};
}

Result<ikemesh::LocalCredential> IkeEngine::localCredentialFor(ikemesh::AuthMethod& signer, const IkeSa& sa) {
  auto credential = signer.localCredential(sa.connection.name);
  if (!credential) return credential;
  auto& id = credential->id;
  if ((id.type == ikemesh::IdType::Ipv4Address || id.type == ikemesh::IdType::Ipv6Address) &&
      id.data.empty()) {
    const auto& address = sa.local.address;
    id.type = address.family() == IpAddress::Family::V4 ? ikemesh::IdType::Ipv4Address
                                                        : ikemesh::IdType::Ipv6Address;
    id.data.assign(address.data(), address.data() + address.size());
  }
  return credential;
}

void IkeEngine::startIkeAuth(IkeSa& sa) {
  const auto serial = sa.serial;
  // RFC 7296 §2.23: with a NAT between us, IKE moves to port 4500 from IKE_AUTH on.
  if (sa.natLocal || sa.natRemote) {
    if (sa.local.port == 500) sa.local.port = 4500;
    if (sa.remote.port == 500) sa.remote.port = 4500;
  }
  ikemesh::AuthMethod* signer = delegate_.authMethod(sa.connection, sa.connection.localAuth);
  if (!signer) {
    removeSa(serial, "connection '" + sa.connection.name + "': no loaded plugin provides '" +
                         sa.connection.localAuth + "'");
    return;
  }
  if (!sa.dataplane) {
    removeSa(serial, "connection '" + sa.connection.name + "': no dataplane");
    return;
  }
  auto credential = localCredentialFor(*signer, sa);
  if (!credential) {
    removeSa(serial, "local credential: " + credential.error().message);
    return;
  }
  // RFC 6023 §3: childless only when the responder said it accepts that.
  const bool childless = sa.connection.childless && sa.peerChildless;
  if (!childless) {
    auto espSpecs = parseProposals(sa.connection.espProposals, true);
    if (!espSpecs) {
      removeSa(serial, "connection '" + sa.connection.name + "': esp=: " + espSpecs.error().message);
      return;
    }
    auto spi = sa.dataplane->allocateSpi(sa.remote.address, sa.local.address);
    if (!spi) {
      removeSa(serial, "dataplane: SPI allocation: " + spi.error().message);
      return;
    }
    ChildNegotiation child;
    child.inboundSpi = *spi;
    // RFC 7296 §1.2: the CHILD SA of IKE_AUTH gets its keys from the IKE SA's key exchange.
    child.offered = toWireProposals(*espSpecs, ProtocolId::Esp, espSpi(*spi), false);
    child.initiatorSelectors = localSelectors(sa);
    child.responderSelectors = remoteSelectors(sa);
    sa.authChild = std::move(child);
  }
  auto octets =
      authSignedOctets(sa.ike.prf, sa.initiatorFirstMessage, sa.nonceResponder, sa.keys.skPi, credential->id);
  if (!octets) {
    removeSa(serial, octets.error().message);
    return;
  }
  sa.state = IkeSaState::InitiatorAuthenticating;
  AuthExchange exchange{
      sa.connection.name,      sa.local.address,
      sa.remote.address,       true,
      prfFunction(sa.ike.prf), std::vector<std::uint8_t>(sa.keys.skPi.begin(), sa.keys.skPi.end()),
      std::move(*octets)};
  // The plugin copies what it keeps (auth.hpp): our copy of SK_p goes when this scope ends.
  const ScopedWipe wipeSkP(exchange.skP);
  std::weak_ptr<int> alive = lifetime_;
  signer->sign(exchange, [this, alive, serial, credential = *credential](Result<AuthPayload> signature) {
    if (!alive.lock()) return;
    IkeSa* s = find(serial);
    if (!s) return;
    if (!signature) {
      removeSa(serial, "signing our AUTH: " + signature.error().message);
      return;
    }
    std::vector<Payload> inner;
    inner.push_back({PayloadType::IdInitiator,
                     IdentificationPayload{static_cast<IdType>(credential.id.type), credential.id.data}});
    for (const auto& cert : credential.certificates)
      inner.push_back({PayloadType::Certificate,
                       CertificatePayload{static_cast<CertificateEncoding>(cert.encoding), cert.data}});
    inner.push_back({PayloadType::Authentication,
                     AuthenticationPayload{static_cast<AuthMethod>(signature->method), signature->data}});
    // RFC 7296 §2.4: this is our only IKE SA with the peer; old state there can go.
    inner.push_back(notify(NotifyType::InitialContact));
    // RFC 7296 §3.7: the trust anchors we will verify the responder's certificate against.
    if (auto* verifier = delegate_.authMethod(s->connection, s->connection.remoteAuth))
      for (const auto& request : verifier->certificateRequests(s->connection.name))
        inner.push_back(
            {PayloadType::CertificateRequest,
             CertificateRequestPayload{static_cast<CertificateEncoding>(request.encoding), request.data}});
    if (s->authChild) {
      if (s->connection.mode == IpsecMode::Transport) inner.push_back(notify(NotifyType::UseTransportMode));
      inner.push_back({PayloadType::SecurityAssociation, SecurityAssociationPayload{s->authChild->offered}});
      inner.push_back({PayloadType::TsInitiator, TrafficSelectorPayload{s->authChild->initiatorSelectors}});
      inner.push_back({PayloadType::TsResponder, TrafficSelectorPayload{s->authChild->responderSelectors}});
    }
    if (auto sent = sendProtectedRequest(*s, RequestKind::IkeAuth, ExchangeType::IkeAuth, inner); !sent)
      removeSa(serial, sent.error().message);
  });
}

void IkeEngine::failAuthentication(IkeSaSerial serial, std::uint32_t messageId, const std::string& reason) {
  IkeSa* sa = find(serial);
  if (!sa) return;
  reject("AUTH", reason, sa->remote);
  // RFC 7296 §2.21.2: the responder answers with AUTHENTICATION_FAILED and forgets the SA.
  sendProtectedResponse(*sa, ExchangeType::IkeAuth, messageId, {notify(NotifyType::AuthenticationFailed)});
  removeSa(serial, "authentication failed: " + reason);
}

void IkeEngine::notifyAuthenticationFailed(IkeSa& sa) {
  // RFC 7296 §2.21.2: the responder has established the IKE SA and installed the CHILD SA when
  // the initiator refuses its AUTH; the initiator MAY say so in an INFORMATIONAL. We send it
  // once, with a DELETE of the IKE SA (§1.4.1) so that any peer removes its state, and forget
  // the SA without waiting for the answer: there is nothing left to retransmit for.
  IkeHeader header{sa.initiatorSpi, sa.responderSpi, ExchangeType::Informational, sa.initiator, false,
                   false,           sa.nextRequestId};
  const std::vector<Payload> inner = {notify(NotifyType::AuthenticationFailed),
                                      {PayloadType::Delete, DeletePayload{ProtocolId::Ike, {}}}};
  auto datagrams =
      protectMessage(*sa.outboundCipher, header, inner, sa.peerFragmentation && sa.connection.fragmentation,
                     settings_.maxMessageLength);
  if (!datagrams) {
    host_.log(LogLevel::Error, "IKE SA #" + std::to_string(sa.serial) +
                                   ": cannot protect AUTHENTICATION_FAILED: " + datagrams.error().message);
    return;
  }
  sendDatagrams(sa, *datagrams);
}

void IkeEngine::onIkeAuthRequest(IkeSa& sa, std::uint32_t messageId, const std::vector<Payload>& inner) {
  const auto serial = sa.serial;
  const auto* idPayload = findPayload(inner, PayloadType::IdInitiator);
  const auto* authPayload = findPayload(inner, PayloadType::Authentication);
  if (!idPayload || !authPayload) {
    failAuthentication(serial, messageId, "IKE_AUTH request without IDi or AUTH");
    return;
  }
  PeerClaim claim;
  claim.id = identityOf(*idPayload->as<IdentificationPayload>());
  claim.certificates = certificatesIn(inner);
  const auto& auth = *authPayload->as<AuthenticationPayload>();
  claim.auth = {static_cast<AuthMethodId>(auth.method), auth.data};
  // IKE_SA_INIT chose the connection by address alone; the offered selectors may belong to
  // another one with this peer (an explicit conn of several, or one above a group).
  const auto* tsi = findPayload(inner, PayloadType::TsInitiator);
  const auto* tsr = findPayload(inner, PayloadType::TsResponder);
  if (tsi && tsr) {
    auto better = delegate_.connectionForSelectors(sa.connection, sa.local, sa.remote,
                                                   tsi->as<TrafficSelectorPayload>()->selectors,
                                                   tsr->as<TrafficSelectorPayload>()->selectors);
    if (better && better->name != sa.connection.name) {
      host_.log(LogLevel::Info, "IKE SA #" + std::to_string(serial) + ": switched from connection '" +
                                    sa.connection.name + "' to '" + better->name +
                                    "', which the offered traffic selectors fit");
      sa.connection = std::move(*better);
      sa.dataplane = delegate_.dataplane(sa.connection);
    }
  }
  if (sa.connection.remoteIdentity && *sa.connection.remoteIdentity != claim.id) {
    failAuthentication(serial, messageId,
                       "IDi: connection '" + sa.connection.name + "' expects rightid " +
                           describeIdentity(*sa.connection.remoteIdentity) + ", the peer sent " +
                           describeIdentity(claim.id));
    return;
  }
  ikemesh::AuthMethod* verifier = delegate_.authMethod(sa.connection, sa.connection.remoteAuth);
  ikemesh::AuthMethod* signer = delegate_.authMethod(sa.connection, sa.connection.localAuth);
  if (!verifier || !signer) {
    failAuthentication(serial, messageId,
                       "connection '" + sa.connection.name + "': auth provider not loaded");
    return;
  }
  auto octets =
      authSignedOctets(sa.ike.prf, sa.initiatorFirstMessage, sa.nonceResponder, sa.keys.skPi, claim.id);
  if (!octets) {
    failAuthentication(serial, messageId, octets.error().message);
    return;
  }
  sa.peerRequestInProgress = true;
  sa.state = IkeSaState::ResponderAuthenticating;
  AuthExchange exchange{
      sa.connection.name,      sa.local.address,
      sa.remote.address,       false,
      prfFunction(sa.ike.prf), std::vector<std::uint8_t>(sa.keys.skPi.begin(), sa.keys.skPi.end()),
      std::move(*octets)};
  // The plugin copies what it keeps (auth.hpp): our copy of SK_p goes when this scope ends.
  const ScopedWipe wipeSkP(exchange.skP);
  std::weak_ptr<int> alive = lifetime_;
  verifier->verify(
      exchange, claim, [this, alive, serial, messageId, signer, inner](Result<VerifiedPeer> verified) {
        if (!alive.lock()) return;
        IkeSa* s = find(serial);
        if (!s) return;
        if (!verified) {
          failAuthentication(serial, messageId, verified.error().message);
          return;
        }
        s->peerId = verified->displayId;
        // RFC 7296 §2.4: INITIAL_CONTACT says the peer has no other IKE SA with us any more.
        if (findNotify(inner, NotifyType::InitialContact)) {
          std::vector<IkeSaSerial> stale;
          for (const IkeSa* o : sasWithPeer(s->remote.address))
            if (o->serial != serial && o->established && o->connection.name == s->connection.name)
              stale.push_back(o->serial);
          for (auto other : stale) removeSa(other, "INITIAL_CONTACT: the peer restarted");
          s = find(serial);
          if (!s) return;
        }
        auto credential = localCredentialFor(*signer, *s);
        if (!credential) {
          failAuthentication(serial, messageId, "local credential: " + credential.error().message);
          return;
        }
        auto octets = authSignedOctets(s->ike.prf, s->responderFirstMessage, s->nonceInitiator, s->keys.skPr,
                                       credential->id);
        if (!octets) {
          failAuthentication(serial, messageId, octets.error().message);
          return;
        }
        AuthExchange ours{
            s->connection.name,      s->local.address,
            s->remote.address,       false,
            prfFunction(s->ike.prf), std::vector<std::uint8_t>(s->keys.skPr.begin(), s->keys.skPr.end()),
            std::move(*octets)};
        // The plugin copies what it keeps (auth.hpp): our copy of SK_p goes when this scope ends.
        const ScopedWipe wipeSkP(ours.skP);
        signer->sign(ours, [this, alive, serial, messageId, inner,
                            credential = *credential](Result<AuthPayload> signature) {
          if (!alive.lock()) return;
          IkeSa* s2 = find(serial);
          if (!s2) return;
          if (!signature) {
            failAuthentication(serial, messageId, "signing our AUTH: " + signature.error().message);
            return;
          }
          std::vector<Payload> answer;
          answer.push_back(
              {PayloadType::IdResponder,
               IdentificationPayload{static_cast<IdType>(credential.id.type), credential.id.data}});
          for (const auto& cert : credential.certificates)
            answer.push_back(
                {PayloadType::Certificate,
                 CertificatePayload{static_cast<CertificateEncoding>(cert.encoding), cert.data}});
          answer.push_back(
              {PayloadType::Authentication,
               AuthenticationPayload{static_cast<AuthMethod>(signature->method), signature->data}});
          // RFC 6023 §4: an IKE_AUTH without SA, TSi and TSr asks for the IKE SA alone (we
          // announced CHILDLESS_IKEV2_SUPPORTED in IKE_SA_INIT).
          const bool childless = !findPayload(inner, PayloadType::SecurityAssociation) &&
                                 !findPayload(inner, PayloadType::TsInitiator) &&
                                 !findPayload(inner, PayloadType::TsResponder);
          ChildAnswer child;
          if (!childless)
            child = answerChildOffer(*s2, inner, s2->nonceInitiator, s2->nonceResponder, {}, nullptr);
          answer.insert(answer.end(), child.payloads.begin(), child.payloads.end());
          establish(*s2);
          if (childless)
            host_.log(LogLevel::Info,
                      "IKE SA #" + std::to_string(serial) + ": childless, as the initiator asked (RFC 6023)");
          // The SAs are in place before the response leaves: the initiator sends ESP as soon
          // as it has read it, and its first packets must not arrive before our inbound SA.
          if (child.child) {
            if (auto installed = installChild(*s2, std::move(*child.child), child.keys, false); !installed)
              host_.log(LogLevel::Error,
                        "IKE SA #" + std::to_string(serial) + ": " + installed.error().message);
          } else if (!childless) {
            host_.log(LogLevel::Warning,
                      "IKE SA #" + std::to_string(serial) + ": no CHILD SA: " + child.refusal);
          }
          sendProtectedResponse(*s2, ExchangeType::IkeAuth, messageId, answer);
        });
      });
}

IkeEngine::ChildAnswer IkeEngine::answerChildOffer(IkeSa& sa, const std::vector<Payload>& inner,
                                                   const Bytes& nonceI, const Bytes& nonceR,
                                                   std::span<const std::uint8_t> sharedSecret,
                                                   const NegotiatedAlgorithms* preselected) {
  ChildAnswer answer;
  auto refuse = [&](NotifyType type, std::string reason) {
    answer.payloads = {notify(type)};
    answer.refusal = notifyTypeName(type) + ": " + reason;
    reject(type == NotifyType::TsUnacceptable ? "TS" : "SA", reason, sa.remote);
    return answer;
  };
  const auto* saPayload = findPayload(inner, PayloadType::SecurityAssociation);
  const auto* tsi = findPayload(inner, PayloadType::TsInitiator);
  const auto* tsr = findPayload(inner, PayloadType::TsResponder);
  if (!saPayload || !tsi || !tsr)
    return refuse(NotifyType::InvalidSyntax, "CHILD SA offer without SA, TSi or TSr");
  NegotiatedAlgorithms chosen;
  if (preselected) {
    chosen = *preselected;
  } else {
    auto specs = parseProposals(sa.connection.espProposals, true);
    if (!specs) return refuse(NotifyType::NoProposalChosen, "esp=: " + specs.error().message);
    auto selection = selectProposal(*specs, *saPayload->as<SecurityAssociationPayload>(), ProtocolId::Esp,
                                    std::nullopt, true);
    if (!selection) return refuse(NotifyType::NoProposalChosen, selection.error().message);
    chosen = selection->algorithms;
  }
  auto peerSpi = espSpiValue(chosen.spi);
  if (!peerSpi) return refuse(NotifyType::InvalidSyntax, "ESP proposal SPI is not 4 octets");
  // RFC 7296 §2.9: TSi is the initiator's side, which is the peer when it sent the request.
  auto narrowedI = narrowTrafficSelectors(tsi->as<TrafficSelectorPayload>()->selectors, remoteSelectors(sa));
  auto narrowedR = narrowTrafficSelectors(tsr->as<TrafficSelectorPayload>()->selectors, localSelectors(sa));
  auto answerI = narrowedI, answerR = narrowedR;
  // RFC 7296 §2.23.1: behind a NAT, a host-to-host peer names its own (private) address. We
  // protect the address we see, and echo the peer's selector so that it installs what it sent.
  const auto& offeredI = tsi->as<TrafficSelectorPayload>()->selectors;
  const auto& offeredR = tsr->as<TrafficSelectorPayload>()->selectors;
  if (sa.natRemote && sa.connection.remoteSelectors.empty() && offeredI.size() == 1 &&
      offeredI[0].start == offeredI[0].end) {
    narrowedI = remoteSelectors(sa);
    answerI = offeredI;
  }
  if (sa.natLocal && sa.connection.localSelectors.empty() && offeredR.size() == 1 &&
      offeredR[0].start == offeredR[0].end) {
    narrowedR = localSelectors(sa);
    answerR = offeredR;
  }
  if (narrowedI.empty() || narrowedR.empty())
    return refuse(NotifyType::TsUnacceptable, "the offered traffic selectors and connection '" +
                                                  sa.connection.name + "' have nothing in common");
  if (!sa.dataplane) return refuse(NotifyType::NoAdditionalSas, "no dataplane");
  auto inbound = sa.dataplane->allocateSpi(sa.remote.address, sa.local.address);
  if (!inbound) return refuse(NotifyType::NoAdditionalSas, "SPI allocation: " + inbound.error().message);
  auto keys = deriveChildSaKeys(sa.ike.prf, sa.keys.skD, {chosen.encryption, chosen.integrity}, sharedSecret,
                                nonceI, nonceR);
  if (!keys) return refuse(NotifyType::NoProposalChosen, "KEYMAT: " + keys.error().message);
  const bool transport = sa.connection.mode == IpsecMode::Transport &&
                         findNotify(inner, NotifyType::UseTransportMode) != nullptr;
  if (transport) answer.payloads.push_back(notify(NotifyType::UseTransportMode));
  answer.payloads.push_back(
      {PayloadType::SecurityAssociation,
       SecurityAssociationPayload{{answerProposal(chosen, ProtocolId::Esp, espSpi(*inbound))}}});
  answer.payloads.push_back({PayloadType::TsInitiator, TrafficSelectorPayload{answerI}});
  answer.payloads.push_back({PayloadType::TsResponder, TrafficSelectorPayload{answerR}});
  ChildSa child;
  child.inboundSpi = *inbound;
  child.outboundSpi = *peerSpi;
  child.algorithms = chosen;
  child.localSelectors = narrowedR;
  child.remoteSelectors = narrowedI;
  child.mode = transport ? IpsecMode::Transport : IpsecMode::Tunnel;
  child.encapsulated = sa.encapsulatesEsp();
  answer.child = std::move(child);
  answer.keys = std::move(*keys);
  return answer;
}

void IkeEngine::onIkeAuthResponse(IkeSa& sa, const std::vector<Payload>& inner) {
  const auto serial = sa.serial;
  const auto* idPayload = findPayload(inner, PayloadType::IdResponder);
  const auto* authPayload = findPayload(inner, PayloadType::Authentication);
  if (!idPayload || !authPayload) {
    const auto* error = firstErrorNotify(inner);
    const std::string reason = error ? "the responder answered " + notifyTypeName(error->type)
                                     : "IKE_AUTH response without IDr or AUTH";
    reject("IKE_AUTH", reason, sa.remote);
    removeSa(serial, reason);
    return;
  }
  PeerClaim claim;
  claim.id = identityOf(*idPayload->as<IdentificationPayload>());
  claim.certificates = certificatesIn(inner);
  const auto& auth = *authPayload->as<AuthenticationPayload>();
  claim.auth = {static_cast<AuthMethodId>(auth.method), auth.data};
  if (sa.connection.remoteIdentity && *sa.connection.remoteIdentity != claim.id) {
    const auto reason = "IDr: connection '" + sa.connection.name + "' expects rightid " +
                        describeIdentity(*sa.connection.remoteIdentity) + ", the peer sent " +
                        describeIdentity(claim.id);
    reject("IDr", reason, sa.remote);
    removeSa(serial, reason);
    return;
  }
  ikemesh::AuthMethod* verifier = delegate_.authMethod(sa.connection, sa.connection.remoteAuth);
  if (!verifier) {
    removeSa(serial, "no loaded plugin provides '" + sa.connection.remoteAuth + "'");
    return;
  }
  auto octets =
      authSignedOctets(sa.ike.prf, sa.responderFirstMessage, sa.nonceInitiator, sa.keys.skPr, claim.id);
  if (!octets) {
    removeSa(serial, octets.error().message);
    return;
  }
  AuthExchange exchange{
      sa.connection.name,      sa.local.address,
      sa.remote.address,       true,
      prfFunction(sa.ike.prf), std::vector<std::uint8_t>(sa.keys.skPr.begin(), sa.keys.skPr.end()),
      std::move(*octets)};
  // The plugin copies what it keeps (auth.hpp): our copy of SK_p goes when this scope ends.
  const ScopedWipe wipeSkP(exchange.skP);
  std::weak_ptr<int> alive = lifetime_;
  verifier->verify(exchange, claim, [this, alive, serial, inner](Result<VerifiedPeer> verified) {
    if (!alive.lock()) return;
    IkeSa* s = find(serial);
    if (!s) return;
    if (!verified) {
      reject("AUTH", verified.error().message, s->remote);
      notifyAuthenticationFailed(*s);
      removeSa(serial, "the responder's AUTH: " + verified.error().message);
      return;
    }
    s->peerId = verified->displayId;
    establish(*s);
    if (!s->authChild) {
      // RFC 6023: the IKE SA alone; the traffic that started it gets its CHILD SA now.
      host_.log(LogLevel::Info,
                "IKE SA #" + std::to_string(serial) + ": childless (RFC 6023); asking for the CHILD SA");
      s->newChildPending = true;
      requestChildSa(serial, 0);
      return;
    }
    auto negotiation = std::move(*s->authChild);
    s->authChild.reset();
    const auto* saPayload = findPayload(inner, PayloadType::SecurityAssociation);
    const auto* tsi = findPayload(inner, PayloadType::TsInitiator);
    const auto* tsr = findPayload(inner, PayloadType::TsResponder);
    if (!saPayload || !tsi || !tsr) {
      // RFC 7296 §1.2: the IKE SA stands even when the responder refuses the CHILD SA (Libreswan
      // on a kernel without ESP answers TS_UNACCEPTABLE).
      const auto* error = firstErrorNotify(inner);
      childRefused(*s, error ? notifyTypeName(error->type) : std::string("no SA in the answer"));
      return;
    }
    auto accepted =
        acceptedProposal(negotiation.offered, *saPayload->as<SecurityAssociationPayload>(), ProtocolId::Esp);
    if (!accepted) {
      reject("SA", accepted.error().message, s->remote);
      childRefused(*s, "SA: " + accepted.error().message);
      return;
    }
    const auto& selectorsI = tsi->as<TrafficSelectorPayload>()->selectors;
    const auto& selectorsR = tsr->as<TrafficSelectorPayload>()->selectors;
    if (!trafficSelectorsWithin(selectorsI, negotiation.initiatorSelectors) ||
        !trafficSelectorsWithin(selectorsR, negotiation.responderSelectors)) {
      reject("TS", "the responder widened the traffic selectors", s->remote);
      childRefused(*s, "TS: the responder widened the traffic selectors");
      return;
    }
    auto peerSpi = espSpiValue(accepted->spi);
    if (!peerSpi) {
      reject("SA", "ESP SPI is not 4 octets", s->remote);
      childRefused(*s, "SA: ESP SPI is not 4 octets");
      return;
    }
    auto keys = deriveChildSaKeys(s->ike.prf, s->keys.skD, {accepted->encryption, accepted->integrity}, {},
                                  s->nonceInitiator, s->nonceResponder);
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
    child.encapsulated = s->encapsulatesEsp();
    if (auto installed = installChild(*s, std::move(child), *keys, true); !installed)
      host_.log(LogLevel::Error, "IKE SA #" + std::to_string(serial) + ": " + installed.error().message);
  });
}

void IkeEngine::childRefused(IkeSa& sa, const std::string& reason) {
  host_.log(LogLevel::Warning, "IKE SA #" + std::to_string(sa.serial) + ": no CHILD SA: " + reason);
  // For the traffic that asked for it, this is a failed negotiation: the failure shunt applies
  // (DESIGN.md §2 step 6), and the IKE SA stays for a later CREATE_CHILD_SA.
  delegate_.initiationFailed(sa.connection.name, sa.remote, "the CHILD SA was refused: " + reason);
}

void IkeEngine::establish(IkeSa& sa) {
  sa.state = IkeSaState::Established;
  sa.established = true;
  // Both AUTH payloads are made and checked: the first messages are not needed any more.
  std::vector<std::uint8_t>().swap(sa.initiatorFirstMessage);
  std::vector<std::uint8_t>().swap(sa.responderFirstMessage);
  if (sa.halfOpen) {
    sa.halfOpen = false;
    --halfOpen_;
  }
  ++counters_.ikeSasEstablished;
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(sa.serial) + " established with " +
                                sa.remote.toString() + " (" + sa.connection.name + ", " +
                                sa.ike.describe(true) + ", peer ID " + sa.peerId + ")");
  delegate_.ikeSaEstablished(sa.info());
  startLiveness(sa);
  // RFC 7296 §2.8: rekey before the lifetime ends. Only the initiator schedules it, so that two
  // peers with the same configuration do not collide every time.
  if (sa.initiator && sa.connection.ikeLifetime.count() > 0 && !sa.rekeyTimer) {
    const auto serial = sa.serial;
    const auto after =
        rekeyAfter(sa.connection.ikeLifetime, sa.connection.rekeyMargin, sa.connection.rekeyFuzzPercent);
    sa.rekeyTimer = host_.startTimer(after, false, [this, serial] {
      if (IkeSa* s = find(serial)) {
        s->rekeyTimer = 0;
        (void)rekeyIkeSa(serial);
      }
    });
  }
}

Result<void> IkeEngine::installChild(IkeSa& sa, ChildSa child, const ChildSaKeys& keys, bool weInitiated,
                                     bool holdOutbound) {
  child.reqid = nextReqid_++;
  const EspKeys& inKeys = weInitiated ? keys.responderToInitiator : keys.initiatorToResponder;
  const EspKeys& outKeys = weInitiated ? keys.initiatorToResponder : keys.responderToInitiator;
  SaLifetime hard{0, 0, sa.connection.childLifetime};
  // Rekey before the hard limit, with room for a retransmitted exchange (RFC 7296 §2.8).
  SaLifetime soft{
      0, 0,
      std::chrono::duration_cast<std::chrono::seconds>(rekeyAfter(
          sa.connection.childLifetime, sa.connection.rekeyMargin, sa.connection.rekeyFuzzPercent))};
  auto params = [&](SaDirection direction) {
    SaParams p;
    const bool in = direction == SaDirection::Inbound;
    p.ref = {in ? child.inboundSpi : child.outboundSpi, in ? sa.local.address : sa.remote.address};
    p.direction = direction;
    p.source = in ? sa.remote.address : sa.local.address;
    p.mode = child.mode;
    p.encryption = static_cast<EncryptionId>(child.algorithms.encryption.algorithm);
    const auto& k = in ? inKeys : outKeys;
    p.encryptionKey.assign(k.encryptionKey.begin(), k.encryptionKey.end());
    p.integrity = static_cast<IntegrityId>(child.algorithms.integrity);
    p.integrityKey.assign(k.integrityKey.begin(), k.integrityKey.end());
    p.replayWindow = sa.connection.replayWindow;
    if (child.encapsulated)
      p.encapsulation = in ? UdpEncapsulation{sa.remote.port, sa.local.port}
                           : UdpEncapsulation{sa.local.port, sa.remote.port};
    p.localSelectors = child.localSelectors;
    p.remoteSelectors = child.remoteSelectors;
    p.soft = soft;
    p.hard = hard;
    p.reqid = child.reqid;
    p.connection = sa.connection.name;
    return p;
  };
  if (!sa.dataplane) return fail("no dataplane for connection '" + sa.connection.name + "'");
  // handOverSa: after the call the keys exist only in the dataplane (and in `keys`, which is
  // SecureBytes and wipes itself).
  auto inbound = params(SaDirection::Inbound);
  if (auto added = handOverSa(*sa.dataplane, inbound); !added)
    return fail("dataplane: inbound SA " + std::to_string(child.inboundSpi) + ": " + added.error().message);
  if (holdOutbound) {
    child.heldOutbound = std::make_shared<HeldSa>(params(SaDirection::Outbound));
    child.heldOutboundTimer = host_.startTimer(kHeldOutboundDelay, false, [this, spi = child.inboundSpi] {
      // The IKE SA may have been rekeyed meanwhile and the CHILD SA moved to its successor.
      for (auto& [serial, s] : sas_)
        for (auto& c : s->children)
          if (c.inboundSpi == spi && c.heldOutbound) {
            c.heldOutboundTimer = 0;
            installHeldOutbound(*s, c);
            return;
          }
    });
  } else {
    auto outbound = params(SaDirection::Outbound);
    if (auto added = handOverSa(*sa.dataplane, outbound); !added) {
      (void)sa.dataplane->deleteSa({child.inboundSpi, sa.local.address});
      return fail("dataplane: outbound SA " + std::to_string(child.outboundSpi) + ": " +
                  added.error().message);
    }
  }
  ++counters_.childSasInstalled;
  ChildSaInfo info{sa.serial,
                   sa.connection.name,
                   child.inboundSpi,
                   child.outboundSpi,
                   child.mode,
                   child.encapsulated,
                   child.localSelectors,
                   child.remoteSelectors,
                   child.algorithms.describe(false)};
  host_.log(LogLevel::Info,
            "IKE SA #" + std::to_string(sa.serial) + ": CHILD SA up, SPIs in " +
                std::to_string(child.inboundSpi) + " out " + std::to_string(child.outboundSpi) + " (" +
                info.algorithms + (child.mode == IpsecMode::Transport ? ", transport" : ", tunnel") +
                (child.encapsulated ? ", UDP-encapsulated)" : ")") +
                (child.heldOutbound ? "; we keep sending on the rekeyed one until the peer deletes it" : ""));
  sa.children.push_back(std::move(child));
  delegate_.childSaUp(info);
  return success();
}

}  // namespace ikemesh::ike
