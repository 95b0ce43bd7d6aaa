// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "ike/message/IkeHeader.hpp"
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// One IKE message as it travels in the clear: the header and the outer payload chain. In an
/// encrypted message the chain ends with an SK (or SKF) payload whose content stays opaque;
/// decodeInner() reads the decrypted inner chain.
struct Message {
  IkeHeader header;
  std::vector<Payload> payloads;

  /// The first payload of `type`, or nullptr.
  const Payload* find(PayloadType type) const {
    for (const auto& payload : payloads)
      if (payload.type == type) return &payload;
    return nullptr;
  }

  /// The first Notify of `type`, or nullptr.
  const NotifyPayload* findNotify(NotifyType type) const {
    for (const auto& payload : payloads)
      if (const auto* notify = payload.as<NotifyPayload>(); notify && notify->type == type) return notify;
    return nullptr;
  }

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace ikemesh::ike
