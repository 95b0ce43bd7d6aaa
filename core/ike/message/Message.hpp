// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <span>
#include <vector>

#include "ike/message/IkeHeader.hpp"
#include "ike/message/NotifyType.hpp"
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// The first payload of `type` in a chain (outer, or a decrypted inner one), or nullptr.
inline const Payload* findPayload(std::span<const Payload> chain, PayloadType type) {
  for (const auto& payload : chain)
    if (payload.type == type) return &payload;
  return nullptr;
}

/// The first Notify of `type` in a chain, or nullptr.
inline const NotifyPayload* findNotify(std::span<const Payload> chain, NotifyType type) {
  for (const auto& payload : chain)
    if (const auto* notify = payload.as<NotifyPayload>(); notify && notify->type == type) return notify;
  return nullptr;
}

/// The first error Notify (types below 16384, RFC 7296 §3.10.1) in a chain, or nullptr.
inline const NotifyPayload* firstErrorNotify(std::span<const Payload> chain) {
  for (const auto& payload : chain)
    if (const auto* notify = payload.as<NotifyPayload>(); notify && isErrorNotify(notify->type))
      return notify;
  return nullptr;
}

/// One IKE message as it travels in the clear: the header and the outer payload chain. In an
/// encrypted message the chain ends with an SK (or SKF) payload whose content stays opaque;
/// decodeInner() reads the decrypted inner chain.
struct Message {
  IkeHeader header;
  std::vector<Payload> payloads;

  /// The first payload of `type`, or nullptr.
  const Payload* find(PayloadType type) const { return findPayload(payloads, type); }

  /// The first Notify of `type`, or nullptr.
  const NotifyPayload* findNotify(NotifyType type) const { return ike::findNotify(payloads, type); }

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace ikemesh::ike
