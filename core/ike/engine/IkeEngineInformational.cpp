// SPDX-License-Identifier: GPL-2.0-or-later
// INFORMATIONAL exchanges (RFC 7296 §1.4): DELETE of CHILD and IKE SAs, liveness checks.
#include <algorithm>

#include "ike/engine/IkeEngine.hpp"

namespace ikemesh::ike {

void IkeEngine::onInformationalRequest(IkeSa& sa, std::uint32_t messageId,
                                       const std::vector<Payload>& inner) {
  const auto serial = sa.serial;
  std::vector<std::uint32_t> ourSpis;
  bool deleteIke = false;
  for (const auto& payload : inner) {
    const auto* del = payload.as<DeletePayload>();
    if (!del) continue;
    if (del->protocol == ProtocolId::Ike) {
      deleteIke = true;
      continue;
    }
    // RFC 7296 §1.4.1: the peer names its inbound SPIs (our outbound); we answer with ours
    // for the same CHILD SAs and remove both directions.
    for (auto spi : del->spis) {
      auto child = std::find_if(sa.children.begin(), sa.children.end(),
                                [&](const ChildSa& c) { return c.outboundSpi == spi; });
      if (child == sa.children.end()) continue;  // already gone (a crossing DELETE): not an error
      ourSpis.push_back(child->inboundSpi);
    }
  }
  // RFC 7296 §2.21.2: the initiator refused our AUTH after we had established the IKE SA.
  const bool refused = std::any_of(inner.begin(), inner.end(), [](const Payload& p) {
    const auto* n = p.as<NotifyPayload>();
    return n && n->type == NotifyType::AuthenticationFailed;
  });
  if (refused) reject("AUTH", "the peer refused our authentication (AUTHENTICATION_FAILED)", sa.remote);
  if (deleteIke || refused) {
    // RFC 7296 §1.4.1: the answer to an IKE SA DELETE is empty; then the SA is gone.
    sendProtectedResponse(sa, ExchangeType::Informational, messageId, {});
    removeSa(serial, refused ? "the peer refused our authentication" : "deleted by the peer");
    return;
  }
  std::vector<Payload> answer;
  if (!ourSpis.empty()) answer.push_back({PayloadType::Delete, DeletePayload{ProtocolId::Esp, ourSpis}});
  sendProtectedResponse(sa, ExchangeType::Informational, messageId, answer);
  for (auto spi : ourSpis) removeChild(sa, spi, "deleted by the peer");
}

void IkeEngine::onInformationalResponse(IkeSa& sa, RequestKind kind, const std::vector<Payload>& inner) {
  const auto serial = sa.serial;
  switch (kind) {
    case RequestKind::DeleteIke:
      removeSa(serial, sa.replaced ? "replaced by a rekeyed IKE SA" : "deleted");
      return;
    case RequestKind::DeleteChild: {
      // Remove every CHILD SA we asked to delete (and any the peer's answer names).
      std::vector<std::uint32_t> retiring;
      for (const auto& c : sa.children)
        if (c.retiring) retiring.push_back(c.inboundSpi);
      for (const auto& payload : inner)
        if (const auto* del = payload.as<DeletePayload>(); del && del->protocol == ProtocolId::Esp)
          for (auto spi : del->spis)
            for (const auto& c : sa.children)
              if (c.outboundSpi == spi &&
                  std::find(retiring.begin(), retiring.end(), c.inboundSpi) == retiring.end())
                retiring.push_back(c.inboundSpi);
      for (auto spi : retiring) removeChild(sa, spi, "deleted");
      return;
    }
    case RequestKind::Liveness:
      host_.log(LogLevel::Debug, "IKE SA #" + std::to_string(serial) + ": peer is alive");
      return;
    default: return;
  }
}

}  // namespace ikemesh::ike
