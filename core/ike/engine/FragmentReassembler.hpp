// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// Collects the decrypted fragments of one message (RFC 7383 §2.6): each fragment is
/// authenticated on arrival, kept by number, and the message is whole when all `total` are in.
/// A fragment of a newer message ID, or with another total, starts over.
class FragmentReassembler {
 public:
  /// Adds fragment `number` of `total` of message `messageId`; the reassembled inner chain's
  /// first payload type and plaintext when this completed it.
  struct Complete {
    PayloadType firstPayload = PayloadType::None;
    std::vector<std::uint8_t> plaintext;
  };
  Result<std::optional<Complete>> add(std::uint32_t messageId, const EncryptedFragmentPayload& fragment,
                                      std::vector<std::uint8_t> plaintext);

  void clear() {
    pieces_.clear();
    total_ = 0;
  }

 private:
  std::uint32_t messageId_ = 0;
  std::uint16_t total_ = 0;
  PayloadType firstPayload_ = PayloadType::None;
  std::map<std::uint16_t, std::vector<std::uint8_t>> pieces_;
};

}  // namespace ikemesh::ike
