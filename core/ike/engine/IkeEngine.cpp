// SPDX-License-Identifier: GPL-2.0-or-later
// Dispatch of incoming messages, the message-ID windows, retransmission and teardown.
#include "ike/engine/IkeEngine.hpp"

#include <algorithm>
#include <cstdio>

#include "ike/crypto/Random.hpp"
#include "ike/engine/MessageProtection.hpp"
#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"
#include "ike/message/MessageSummary.hpp"
#include "util/OpensslDigest.hpp"

namespace ikemesh::ike {

namespace {

std::string spiText(std::uint64_t spi) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(spi));
  return text;
}

ExchangeType exchangeOf(RequestKind kind) {
  switch (kind) {
    case RequestKind::IkeSaInit: return ExchangeType::IkeSaInit;
    case RequestKind::IkeAuth: return ExchangeType::IkeAuth;
    case RequestKind::CreateChild:
    case RequestKind::RekeyIke: return ExchangeType::CreateChildSa;
    default: return ExchangeType::Informational;
  }
}

}  // namespace

IkeEngine::IkeEngine(Host& host, IkeTransport& transport, EngineDelegate& delegate, EngineSettings settings)
    : host_(host), transport_(transport), delegate_(delegate), settings_(settings) {
  // RFC 7296 §2.6: the cookie secret is local and random; a restart simply changes it.
  auto secret = randomBytes(32);
  if (secret) cookieSecret_ = std::move(*secret);
  if (cookieSecret_.empty()) {
    host_.log(LogLevel::Error, "IKE engine: no random cookie secret; cookies will be refused");
  }
}

namespace {

/// Whether another CHILD SA of `sa`, not being deleted, carries the traffic of `child`.
bool hasSuccessor(const IkeSa& sa, const ChildSa& child) {
  return std::any_of(sa.children.begin(), sa.children.end(), [&](const ChildSa& c) {
    return c.inboundSpi != child.inboundSpi && !c.retiring && c.localSelectors == child.localSelectors &&
           c.remoteSelectors == child.remoteSelectors;
  });
}

}  // namespace

IkeEngine::~IkeEngine() {
  clear();
}

void IkeEngine::clear() {
  std::vector<IkeSaSerial> serials;
  for (const auto& [serial, sa] : sas_) serials.push_back(serial);
  for (auto serial : serials) removeSa(serial, "engine shut down");
  deleteLateInboundNow();
}

void IkeEngine::deleteInboundLater(Dataplane& dataplane, const SaRef& ref) {
  const auto key = nextLateInbound_++;
  const auto timer = host_.startTimer(kRekeyedInboundDelay, false, [this, key] {
    auto it = lateInbound_.find(key);
    if (it == lateInbound_.end()) return;
    const LateInbound late = it->second;
    lateInbound_.erase(it);
    (void)late.dataplane->deleteSa(late.ref);
  });
  lateInbound_.emplace(key, LateInbound{&dataplane, ref, timer});
}

void IkeEngine::deleteLateInboundNow() {
  auto late = std::move(lateInbound_);
  lateInbound_.clear();
  for (auto& [key, sa] : late) {
    host_.stopTimer(sa.timer);
    (void)sa.dataplane->deleteSa(sa.ref);
  }
}

IkeSa* IkeEngine::find(IkeSaSerial serial) {
  auto it = sas_.find(serial);
  return it == sas_.end() ? nullptr : it->second.get();
}

IkeSa* IkeEngine::findBySpi(std::uint64_t spi) {
  auto it = bySpi_.find(spi);
  return it == bySpi_.end() ? nullptr : find(it->second);
}

std::uint64_t IkeEngine::freshIkeSpi() {
  // Random, non-zero and unique among our IKE SAs (RFC 7296 §2.6).
  std::uint64_t spi = 0;
  while (spi == 0 || bySpi_.count(spi)) {
    auto bytes = randomBytes(8);
    spi = 0;
    if (bytes)
      for (auto b : *bytes) spi = (spi << 8) | b;
  }
  return spi;
}

IkeSa::RequestDigest requestDigest(std::span<const std::uint8_t> datagram) {
  IkeSa::RequestDigest digest{};
  // On failure (libcrypto has no SHA-256: not on a working node) the zeros match nothing sent.
  if (!digestInto(DigestAlgorithm::Sha2_256, datagram, digest)) digest.fill(0);
  return digest;
}

IkeSa& IkeEngine::createSa(const ConnectionView& connection, const Endpoint& local, const Endpoint& remote,
                           bool initiator, std::uint64_t ourSpi) {
  auto sa = std::make_unique<IkeSa>();
  sa->serial = nextSerial_++;
  sa->initiator = initiator;
  sa->connection = connection;
  sa->local = local;
  sa->remote = remote;
  sa->dataplane = delegate_.dataplane(connection);
  const std::uint64_t spi = ourSpi ? ourSpi : freshIkeSpi();
  (initiator ? sa->initiatorSpi : sa->responderSpi) = spi;
  bySpi_[spi] = sa->serial;
  byPeer_.insert({remote.address, sa->serial});
  auto& ref = *sa;
  sas_[sa->serial] = std::move(sa);
  // A verification that needs the peer's key from DNS starts its lookup now, in parallel with
  // IKE_SA_INIT, instead of when the peer's AUTH arrives (auth.hpp, PeerLookahead).
  if (auto* verifier = delegate_.authMethod(connection, connection.remoteAuth))
    if (auto* lookahead = dynamic_cast<ikemesh::PeerLookahead*>(verifier))
      lookahead->exchangeStarting(connection.name, local.address, remote.address);
  return ref;
}

bool IkeEngine::worthLogging(std::uint64_t occurrence) {
  // The first ten, then the 16th, 32nd, 64th...: a flood of forged messages costs a few dozen
  // log lines, not one per datagram, and the count says how many there were.
  return occurrence <= 10 || (occurrence & (occurrence - 1)) == 0;
}

void IkeEngine::reject(const std::string& field, const std::string& reason, const Endpoint& from) {
  ++counters_.rejected;
  const auto occurrence = ++counters_.rejectedByField[field];
  if (!worthLogging(occurrence)) return;
  host_.log(LogLevel::Warning, "message from " + from.toString() + " rejected: " + field + ": " + reason +
                                   (occurrence > 10 ? " (" + std::to_string(occurrence) + " so far)" : ""));
}

void IkeEngine::offload(std::function<std::function<void()>()> work) {
  std::weak_ptr<int> alive = lifetime_;
  Host* host = &host_;
  host_.submitWork([host, alive, work = std::move(work)]() mutable {
    auto finish = work();
    host->postToMain([alive, finish = std::move(finish)] {
      if (alive.lock()) finish();
    });
  });
}

void IkeEngine::sendDatagrams(IkeSa& sa, const std::vector<std::vector<std::uint8_t>>& datagrams) {
  for (const auto& datagram : datagrams) {
    ++counters_.datagramsSent;
    transport_.send(sa.local, sa.remote, datagram);
  }
}

void IkeEngine::sendRequest(IkeSa& sa, RequestKind kind, std::vector<std::vector<std::uint8_t>> datagrams) {
  OutstandingRequest request;
  request.kind = kind;
  request.messageId = sa.nextRequestId++;
  request.datagrams = std::move(datagrams);
  request.interval = sa.connection.retransmitInterval;
  sendDatagrams(sa, request.datagrams);
  const auto serial = sa.serial;
  request.timer = host_.startTimer(request.interval, false, [this, serial] { retransmit(serial); });
  sa.outstanding = std::move(request);
}

void IkeEngine::whenWindowOpen(IkeSa& sa, std::function<void()> request) {
  // RFC 7296 §2.3: we keep one request outstanding; the others wait their turn.
  if (!sa.outstanding && sa.queuedRequests.empty()) {
    request();
    return;
  }
  sa.queuedRequests.push_back(std::move(request));
}

void IkeEngine::requestDone(IkeSa& sa) {
  if (sa.outstanding && sa.outstanding->timer) host_.stopTimer(sa.outstanding->timer);
  sa.outstanding.reset();
}

void IkeEngine::retransmit(IkeSaSerial serial) {
  IkeSa* sa = find(serial);
  if (!sa || !sa->outstanding) return;
  auto& request = *sa->outstanding;
  request.timer = 0;
  request.elapsed += request.interval;
  const auto timeout = sa->connection.retransmitTimeout;
  if (request.elapsed >= timeout) {
    const std::string reason =
        request.kind == RequestKind::Liveness
            ? "peer is dead: liveness check unanswered for " + std::to_string(request.elapsed.count()) + "ms"
            : "no answer to " + exchangeTypeName(exchangeOf(request.kind)) + " request " +
                  std::to_string(request.messageId) + " after " + std::to_string(request.elapsed.count()) +
                  "ms (retransmit-timeout)";
    requestDone(*sa);
    removeSa(serial, reason);
    return;
  }
  ++counters_.retransmissions;
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(serial) + ": retransmitting " +
                                exchangeTypeName(exchangeOf(request.kind)) + " request " +
                                std::to_string(request.messageId));
  sendDatagrams(*sa, request.datagrams);
  // RFC 7296 §2.1: exponential backoff, never past the give-up time.
  request.interval = std::min(request.interval * 2, timeout - request.elapsed);
  request.timer = host_.startTimer(request.interval, false, [this, serial] { retransmit(serial); });
}

Result<void> IkeEngine::sendProtectedRequest(IkeSa& sa, RequestKind kind, ExchangeType exchange,
                                             const std::vector<Payload>& inner) {
  IkeHeader header{sa.initiatorSpi, sa.responderSpi, exchange, sa.initiator, false, false, sa.nextRequestId};
  auto datagrams =
      protectMessage(*sa.outboundCipher, header, inner, sa.peerFragmentation && sa.connection.fragmentation,
                     settings_.maxMessageLength);
  if (!datagrams)
    return fail("cannot protect " + exchangeTypeName(exchange) + " request: " + datagrams.error().message);
  if (datagrams->size() > 1) counters_.fragmentsSent += datagrams->size();
  host_.log(LogLevel::Debug,
            "IKE SA #" + std::to_string(sa.serial) + ": sending " +
                summarize(Message{header, {Payload{PayloadType::Encrypted, EncryptedPayload{}}}}, inner) +
                " to " + sa.remote.toString());
  sendRequest(sa, kind, std::move(*datagrams));
  return success();
}

void IkeEngine::sendProtectedResponse(IkeSa& sa, ExchangeType exchange, std::uint32_t messageId,
                                      const std::vector<Payload>& inner) {
  IkeHeader header{sa.initiatorSpi, sa.responderSpi, exchange, sa.initiator, false, true, messageId};
  auto datagrams =
      protectMessage(*sa.outboundCipher, header, inner, sa.peerFragmentation && sa.connection.fragmentation,
                     settings_.maxMessageLength);
  sa.peerRequestInProgress = false;
  if (!datagrams) {
    host_.log(LogLevel::Error, "IKE SA #" + std::to_string(sa.serial) +
                                   ": cannot protect response: " + datagrams.error().message);
    return;
  }
  if (datagrams->size() > 1) counters_.fragmentsSent += datagrams->size();
  host_.log(LogLevel::Debug,
            "IKE SA #" + std::to_string(sa.serial) + ": sending " +
                summarize(Message{header, {Payload{PayloadType::Encrypted, EncryptedPayload{}}}}, inner) +
                " to " + sa.remote.toString());
  sendDatagrams(sa, *datagrams);
  // RFC 7296 §2.1: the response is kept to answer a retransmitted request with it.
  sa.lastResponseId = messageId;
  sa.lastResponse = std::move(*datagrams);
  sa.lastRequest = sa.requestInProgress;
  sa.requestInProgress.reset();
  sa.lastResponseResent = 0;
  sa.expectedPeerRequestId = messageId + 1;
}

void IkeEngine::sendUnprotectedNotify(const IkeHeader& request, NotifyType type, Bytes data,
                                      const Endpoint& local, const Endpoint& remote) {
  Message answer;
  answer.header = {request.initiatorSpi, 0, request.exchangeType, false, false, true, request.messageId};
  answer.payloads.push_back(
      Payload{PayloadType::Notify, NotifyPayload{ProtocolId::None, {}, type, std::move(data)}});
  auto bytes = encode(answer);
  ++counters_.datagramsSent;
  transport_.send(local, remote, bytes);
}

void IkeEngine::answerRetransmission(IkeSa& sa, std::span<const std::uint8_t> datagram,
                                     const Endpoint& from) {
  const auto id = std::to_string(*sa.lastResponseId);
  // RFC 7296 §2.1: a retransmitted request is bitwise identical to the first. Anything else
  // with that message ID (garbage with valid SPIs, a forged or altered copy) gets no answer:
  // the check happens before the integrity check, so it must not make us send. (A peer that
  // re-fragments a retransmission smaller, as RFC 7383 §2.5.2 allows, is not answered from the
  // cache; strongSwan, Libreswan and ikemesh resend the same datagrams.)
  if (!sa.lastRequest || requestDigest(datagram) != *sa.lastRequest) {
    reject("message ID",
           "request " + id + " of IKE SA #" + std::to_string(sa.serial) +
               " is not a copy of the request answered with that ID; not answered",
           from);
    return;
  }
  // A replayed copy is indistinguishable from a retransmission, but a peer gives up after a
  // handful (retransmit-timeout with backoff): beyond that, a replay would make us send on.
  if (sa.lastResponseResent >= kMaxResponseResends) {
    reject("message ID",
           "request " + id + " of IKE SA #" + std::to_string(sa.serial) + " already answered " +
               std::to_string(kMaxResponseResends + 1) + " times; a replay, not answered",
           from);
    return;
  }
  ++sa.lastResponseResent;
  ++counters_.responsesFromCache;
  sendDatagrams(sa, sa.lastResponse);
}

void IkeEngine::receive(std::span<const std::uint8_t> message, const Endpoint& from, const Endpoint& to) {
  ++counters_.datagramsReceived;
  auto decoded = decode(message);
  if (!decoded) {
    reject("message", decoded.error().message, from);
    return;
  }
  const IkeHeader& header = decoded->header;
  if (header.exchangeType == ExchangeType::IkeSaInit && !header.response) {
    onIkeSaInitRequest(*decoded, message, from, to);
    return;
  }
  const std::uint64_t ourSpi = header.initiator ? header.responderSpi : header.initiatorSpi;
  IkeSa* sa = findBySpi(ourSpi);
  if (!sa) {
    reject("IKE SPI", "no IKE SA with SPI " + spiText(ourSpi), from);
    return;
  }
  if (sa->initiator == header.initiator) {
    reject("I flag",
           std::string("the flag says the sender is the ") + (header.initiator ? "initiator" : "responder") +
               " of IKE SA #" + std::to_string(sa->serial) + ", which is us",
           from);
    return;
  }
  if (header.exchangeType == ExchangeType::IkeSaInit) {
    onIkeSaInitResponse(*sa, *decoded, message);
    return;
  }
  if (header.initiatorSpi != sa->initiatorSpi || header.responderSpi != sa->responderSpi) {
    reject("IKE SPI",
           "SPIs " + spiText(header.initiatorSpi) + "/" + spiText(header.responderSpi) +
               " do not match IKE SA #" + std::to_string(sa->serial),
           from);
    return;
  }
  if (!sa->inboundCipher) {
    reject("SK payload", "IKE SA #" + std::to_string(sa->serial) + " has no keys yet", from);
    return;
  }
  const auto* fragment =
      decoded->payloads.empty() ? nullptr : decoded->payloads.back().as<EncryptedFragmentPayload>();
  if (header.response) {
    if (!sa->outstanding || sa->outstanding->messageId != header.messageId) {
      reject("message ID", "response " + std::to_string(header.messageId) + " matches no outstanding request",
             from);
      return;
    }
    if (exchangeOf(sa->outstanding->kind) != header.exchangeType) {
      reject("exchange type",
             "response is " + exchangeTypeName(header.exchangeType) + ", the request was " +
                 exchangeTypeName(exchangeOf(sa->outstanding->kind)),
             from);
      return;
    }
  } else {
    if (sa->lastResponseId && header.messageId == *sa->lastResponseId) {
      // RFC 7296 §2.1 (and RFC 7383 §2.6.1: answer a fragmented request once, on fragment 1).
      if (!fragment || fragment->fragmentNumber == 1) answerRetransmission(*sa, message, from);
      return;
    }
    if (header.messageId != sa->expectedPeerRequestId) {
      reject("message ID",
             "request " + std::to_string(header.messageId) + ", expected " +
                 std::to_string(sa->expectedPeerRequestId),
             from);
      return;
    }
    if (sa->peerRequestInProgress) return;  // a retransmit while we compute the answer
  }
  auto plaintext = openProtectedPayload(*sa->inboundCipher, message, *decoded);
  if (!plaintext) {
    reject("SK payload", plaintext.error().message, from);
    return;
  }
  if (!header.response && (!fragment || fragment->fragmentNumber == 1))
    sa->requestInProgress = requestDigest(message);
  PayloadType first = PayloadType::None;
  std::vector<std::uint8_t> bytes;
  if (fragment) {
    ++counters_.fragmentsReceived;
    auto& reassembler = header.response ? sa->responseFragments : sa->requestFragments;
    auto complete = reassembler.add(header.messageId, *fragment, std::move(*plaintext));
    if (!complete) {
      reject("SKF payload", complete.error().message, from);
      return;
    }
    if (!*complete) return;  // more fragments to come
    first = (*complete)->firstPayload;
    bytes = std::move((*complete)->plaintext);
  } else {
    first = decoded->payloads.back().as<EncryptedPayload>()->firstInnerPayload;
    bytes = std::move(*plaintext);
  }
  auto inner = decodeInner(first, bytes);
  if (!inner) {
    reject("inner payloads", inner.error().message, from);
    return;
  }
  sa->heardFromPeer = true;
  // RFC 7296 §2.23: behind a NAT the peer's port (and address) may change; follow the latest
  // authenticated message.
  if (from != sa->remote || to != sa->local) {
    if (!(from.address == sa->remote.address)) {
      unindexPeer(*sa);
      byPeer_.insert({from.address, sa->serial});
    }
    sa->remote = from;
    sa->local = to;
  }
  host_.log(LogLevel::Debug, "IKE SA #" + std::to_string(sa->serial) + ": received " +
                                 summarize(*decoded, *inner) + " from " + from.toString());
  dispatchProtected(*sa, header, std::move(*inner));
}

void IkeEngine::dispatchProtected(IkeSa& sa, const IkeHeader& header, std::vector<Payload> inner) {
  const auto serial = sa.serial;
  if (header.response) {
    const RequestKind kind = sa.outstanding->kind;
    requestDone(sa);
    switch (kind) {
      case RequestKind::IkeAuth: onIkeAuthResponse(sa, inner); break;
      case RequestKind::CreateChild:
      case RequestKind::RekeyIke: onCreateChildResponse(sa, kind, inner); break;
      default: onInformationalResponse(sa, kind, inner); break;
    }
  } else {
    switch (header.exchangeType) {
      case ExchangeType::IkeAuth:
        if (sa.initiator || sa.state != IkeSaState::ResponderAwaitingAuth) {
          reject("exchange type", "IKE_AUTH request in the wrong state", sa.remote);
          return;
        }
        onIkeAuthRequest(sa, header.messageId, inner);
        break;
      case ExchangeType::CreateChildSa:
        if (sa.state != IkeSaState::Established) {
          reject("exchange type", "CREATE_CHILD_SA before the IKE SA is established", sa.remote);
          return;
        }
        onCreateChildRequest(sa, header.messageId, inner);
        break;
      case ExchangeType::Informational: onInformationalRequest(sa, header.messageId, inner); break;
      default: reject("exchange type", exchangeTypeName(header.exchangeType) + " request", sa.remote); return;
    }
  }
  // The window may have opened: send what waited for it.
  IkeSa* still = find(serial);
  if (still && !still->outstanding && !still->queuedRequests.empty()) {
    auto next = std::move(still->queuedRequests.front());
    still->queuedRequests.erase(still->queuedRequests.begin());
    next();
  }
}

std::shared_ptr<HeldSa> IkeEngine::takeHeldOutbound(ChildSa& child) {
  if (child.heldOutboundTimer) host_.stopTimer(child.heldOutboundTimer);
  child.heldOutboundTimer = 0;
  return std::move(child.heldOutbound);
}

void IkeEngine::installHeldOutbound(IkeSa& sa, ChildSa& child) {
  auto held = takeHeldOutbound(child);
  if (!held || !sa.dataplane) return;
  if (auto added = handOverSa(*sa.dataplane, held->params()); !added) {
    host_.log(LogLevel::Error, "IKE SA #" + std::to_string(sa.serial) + ": dataplane: outbound SA " +
                                   std::to_string(child.outboundSpi) + ": " + added.error().message);
    child.outboundRemoved = true;  // nothing of it to remove later
    return;
  }
  host_.log(LogLevel::Debug, "IKE SA #" + std::to_string(sa.serial) + ": CHILD SA " +
                                 std::to_string(child.inboundSpi) + ": sending on it now, SPI " +
                                 std::to_string(child.outboundSpi));
}

void IkeEngine::releaseHeldOutbound(IkeSa& sa, const ChildSa& leaving) {
  for (auto& c : sa.children)
    if (c.heldOutbound && c.inboundSpi != leaving.inboundSpi && c.localSelectors == leaving.localSelectors &&
        c.remoteSelectors == leaving.remoteSelectors)
      installHeldOutbound(sa, c);
}

void IkeEngine::removeChild(IkeSa& sa, std::uint32_t inboundSpi, const std::string& reason) {
  auto it = std::find_if(sa.children.begin(), sa.children.end(),
                         [&](const ChildSa& c) { return c.inboundSpi == inboundSpi; });
  if (it == sa.children.end()) return;
  const bool neverSent = takeHeldOutbound(*it) != nullptr;
  // A successor carries the same traffic: this CHILD SA was rekeyed (or lost a simultaneous
  // rekey, RFC 7296 §2.8.1).
  const bool rekeyed = hasSuccessor(sa, *it);
  if (sa.dataplane) {
    // The successor starts sending before this one stops.
    if (!it->outboundRemoved && !neverSent) releaseHeldOutbound(sa, *it);
    if (rekeyed) {
      // What the peer sent on it before it switched may still be on its way.
      deleteInboundLater(*sa.dataplane, {it->inboundSpi, sa.local.address});
    } else if (auto r = sa.dataplane->deleteSa({it->inboundSpi, sa.local.address}); !r) {
      host_.log(LogLevel::Warning,
                "IKE SA #" + std::to_string(sa.serial) + ": removing inbound SA: " + r.error().message);
    }
    if (it->outboundRemoved || neverSent) {
      // removed when it was retired (deleteChildSa), or never installed
    } else if (auto r = sa.dataplane->deleteSa({it->outboundSpi, sa.remote.address}); !r) {
      host_.log(LogLevel::Warning,
                "IKE SA #" + std::to_string(sa.serial) + ": removing outbound SA: " + r.error().message);
    }
  }
  ChildSaInfo info{sa.serial,
                   sa.connection.name,
                   it->inboundSpi,
                   it->outboundSpi,
                   it->mode,
                   it->encapsulated,
                   it->localSelectors,
                   it->remoteSelectors,
                   it->algorithms.describe(false)};
  sa.children.erase(it);
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(sa.serial) + ": CHILD SA " +
                                std::to_string(info.inboundSpi) + " removed: " + reason);
  delegate_.childSaDown(info, reason);
}

void IkeEngine::unindexPeer(const IkeSa& sa) {
  byPeer_.erase({sa.remote.address, sa.serial});
}

std::vector<IkeSa*> IkeEngine::sasWithPeer(const IpAddress& address) {
  std::vector<IkeSa*> out;
  for (auto s = byPeer_.lower_bound({address, IkeSaSerial{}}); s != byPeer_.end() && s->first == address; ++s)
    if (IkeSa* sa = find(s->second)) out.push_back(sa);
  return out;
}

void IkeEngine::removeSa(IkeSaSerial serial, const std::string& reason, bool deleteChildren) {
  auto it = sas_.find(serial);
  if (it == sas_.end()) return;
  IkeSa& sa = *it->second;
  requestDone(sa);
  if (sa.livenessTimer) host_.stopTimer(sa.livenessTimer);
  if (sa.rekeyTimer) host_.stopTimer(sa.rekeyTimer);
  if (deleteChildren && !sa.replaced)
    while (!sa.children.empty()) removeChild(sa, sa.children.front().inboundSpi, reason);
  if (sa.halfOpen) --halfOpen_;
  const auto ourSpi = sa.initiator ? sa.initiatorSpi : sa.responderSpi;
  if (auto s = bySpi_.find(ourSpi); s != bySpi_.end() && s->second == serial) bySpi_.erase(s);
  unindexPeer(sa);
  if (!sa.initiator) {
    // Its key is the initiator's SPI and address at IKE_SA_INIT; the port may have moved since
    // (a NAT mapping changed): then the slow way.
    if (auto s = byInitiatorSpi_.find({sa.initiatorSpi, sa.remote});
        s != byInitiatorSpi_.end() && s->second == serial)
      byInitiatorSpi_.erase(s);
    else
      for (auto s = byInitiatorSpi_.begin(); s != byInitiatorSpi_.end();)
        s = s->second == serial ? byInitiatorSpi_.erase(s) : std::next(s);
  }
  host_.log(LogLevel::Info, "IKE SA #" + std::to_string(serial) + " (" + sa.connection.name + ", " +
                                sa.remote.toString() + ") removed: " + reason);
  auto owned = std::move(it->second);
  sas_.erase(it);
  if (owned->established) {
    delegate_.ikeSaDeleted(owned->info(), reason);
  } else if (owned->initiator && !owned->replaced) {
    delegate_.initiationFailed(owned->connection.name, owned->remote, reason);
  }
}

void IkeEngine::startLiveness(IkeSa& sa) {
  if (sa.connection.livenessDelay.count() <= 0 || sa.livenessTimer) return;
  const auto serial = sa.serial;
  sa.livenessTimer =
      host_.startTimer(sa.connection.livenessDelay, true, [this, serial] { livenessTick(serial); });
}

void IkeEngine::livenessTick(IkeSaSerial serial) {
  IkeSa* sa = find(serial);
  if (!sa || sa->state != IkeSaState::Established) return;
  // RFC 7296 §2.4: only probe a peer we have not heard from for a whole interval.
  if (sa->heardFromPeer) {
    sa->heardFromPeer = false;
    return;
  }
  if (sa->outstanding) return;  // a request is already probing the peer
  (void)checkLiveness(serial);
}

Result<void> IkeEngine::checkLiveness(IkeSaSerial serial) {
  IkeSa* sa = find(serial);
  if (!sa || sa->state != IkeSaState::Established)
    return fail("no established IKE SA #" + std::to_string(serial));
  whenWindowOpen(*sa, [this, serial] {
    if (IkeSa* s = find(serial))
      if (auto sent = sendProtectedRequest(*s, RequestKind::Liveness, ExchangeType::Informational, {}); !sent)
        host_.log(LogLevel::Error, sent.error().message);
  });
  return success();
}

Result<void> IkeEngine::deleteIkeSa(IkeSaSerial serial) {
  IkeSa* sa = find(serial);
  if (!sa) return fail("no IKE SA #" + std::to_string(serial));
  if (!sa->outboundCipher) {
    removeSa(serial, "deleted before keys were agreed");
    return success();
  }
  whenWindowOpen(*sa, [this, serial] {
    IkeSa* s = find(serial);
    if (!s) return;
    s->state = IkeSaState::Deleting;
    std::vector<Payload> inner{Payload{PayloadType::Delete, DeletePayload{ProtocolId::Ike, {}}}};
    if (auto sent = sendProtectedRequest(*s, RequestKind::DeleteIke, ExchangeType::Informational, inner);
        !sent)
      removeSa(serial, sent.error().message);
  });
  return success();
}

Result<void> IkeEngine::deleteChildSa(IkeSaSerial serial, std::uint32_t inboundSpi) {
  IkeSa* sa = find(serial);
  if (!sa || sa->state != IkeSaState::Established)
    return fail("no established IKE SA #" + std::to_string(serial));
  auto child = std::find_if(sa->children.begin(), sa->children.end(),
                            [&](const ChildSa& c) { return c.inboundSpi == inboundSpi; });
  if (child == sa->children.end())
    return fail("IKE SA #" + std::to_string(serial) + " has no CHILD SA " + std::to_string(inboundSpi));
  // Both directions of a CHILD SA reach their hard lifetime and report it: one DELETE names
  // the pair (RFC 7296 §1.4.1); a second would name an SPI the peer has already removed.
  if (child->retiring) return success();
  child->retiring = true;
  // When a successor carries the same traffic (a rekey, or the survivor of a simultaneous
  // rekey, §2.8.1), stop sending on this one now: the peer drops its inbound side as soon as
  // our DELETE arrives, and packets we sent between the DELETE and its answer would be lost.
  // Our inbound side stays until the answer, for what the peer sent before.
  const bool succeeded = hasSuccessor(*sa, *child);
  if (takeHeldOutbound(*child)) {  // never sent on: nothing to stop
    child->outboundRemoved = true;
  } else if (succeeded && sa->dataplane) {
    releaseHeldOutbound(*sa, *child);
    (void)sa->dataplane->deleteSa({child->outboundSpi, sa->remote.address});
    child->outboundRemoved = true;
  }
  whenWindowOpen(*sa, [this, serial, inboundSpi] {
    IkeSa* s = find(serial);
    if (!s) return;
    std::vector<Payload> inner{Payload{PayloadType::Delete, DeletePayload{ProtocolId::Esp, {inboundSpi}}}};
    if (auto sent = sendProtectedRequest(*s, RequestKind::DeleteChild, ExchangeType::Informational, inner);
        !sent)
      host_.log(LogLevel::Error, sent.error().message);
  });
  return success();
}

void IkeEngine::saExpired(const SaRef& ref, bool hard) {
  for (auto& [serial, sa] : sas_)
    for (const auto& child : sa->children)
      if ((child.inboundSpi == ref.spi && ref.destination == sa->local.address) ||
          (child.outboundSpi == ref.spi && ref.destination == sa->remote.address)) {
        const auto s = serial;
        const auto spi = child.inboundSpi;
        if (hard)
          (void)deleteChildSa(s, spi);
        else
          (void)rekeyChildSa(s, spi);
        return;
      }
}

void IkeEngine::natMappingChanged(const NatMapping& mapping) {
  const Endpoint before{mapping.oldAddress, mapping.oldPort};
  const Endpoint after{mapping.newAddress, mapping.newPort};
  for (auto& [serial, sa] : sas_) {
    const bool owns = mapping.sa.destination == sa->local.address &&
                      std::any_of(sa->children.begin(), sa->children.end(),
                                  [&](const ChildSa& child) { return child.inboundSpi == mapping.sa.spi; });
    if (!owns) continue;
    const std::string what = "IKE SA #" + std::to_string(serial) + " (" + sa->connection.name +
                             "): the peer's NAT mapping changed from " + before.toString() + " to " +
                             after.toString();
    if (sa->remote == after) return;  // the IKE SA followed already (a second report)
    // RFC 7296 §2.23: only a host that is not behind a NAT itself updates the address, and only
    // with replay protection (else an old packet would move the SA back).
    std::string ignored;
    if (!sa->encapsulatesEsp())
      ignored = "ESP is not in UDP on this IKE SA";
    else if (sa->natLocal)
      ignored = "we are behind a NAT ourselves (RFC 7296 §2.23)";
    else if (sa->connection.replayWindow == 0)
      ignored = "anti-replay is off (RFC 7296 §2.23)";
    else if (!(sa->remote.address == mapping.newAddress))
      ignored =
          "a new address: the IKE SA stays at " + sa->remote.toString() + ", its liveness checks decide";
    if (!ignored.empty()) {
      host_.log(LogLevel::Info, what + "; not followed: " + ignored);
      return;
    }
    sa->remote.port = mapping.newPort;
    ++counters_.natMappingUpdates;
    std::vector<std::uint32_t> rekeyed;
    for (const auto& child : sa->children)
      if (!child.retiring && !child.rekeying) rekeyed.push_back(child.inboundSpi);
    host_.log(LogLevel::Info, what + ": IKE goes there now, and " + std::to_string(rekeyed.size()) +
                                  " CHILD SA(s) are rekeyed so that ESP does too (RFC 7296 §2.23)");
    const auto s = serial;
    for (auto spi : rekeyed) (void)rekeyChildSa(s, spi);
    return;
  }
  host_.log(LogLevel::Debug, "NAT mapping change for inbound SA " + std::to_string(mapping.sa.spi) + " to " +
                                 mapping.sa.destination.toString() + ": no CHILD SA of ours");
}

std::vector<IkeSaInfo> IkeEngine::ikeSas() const {
  std::vector<IkeSaInfo> out;
  for (const auto& [serial, sa] : sas_) out.push_back(sa->info());
  return out;
}

std::optional<IkeSaInfo> IkeEngine::ikeSa(IkeSaSerial serial) const {
  auto it = sas_.find(serial);
  if (it == sas_.end()) return std::nullopt;
  return it->second->info();
}

std::vector<ChildSaInfo> IkeEngine::childSas() const {
  std::vector<ChildSaInfo> out;
  for (const auto& [serial, sa] : sas_)
    for (const auto& c : sa->children)
      out.push_back({serial, sa->connection.name, c.inboundSpi, c.outboundSpi, c.mode, c.encapsulated,
                     c.localSelectors, c.remoteSelectors, c.algorithms.describe(false)});
  return out;
}

}  // namespace ikemesh::ike
