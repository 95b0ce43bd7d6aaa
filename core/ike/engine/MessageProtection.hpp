// SPDX-License-Identifier: GPL-2.0-or-later
// Building and opening Encrypted (SK, RFC 7296 §3.14) and Encrypted Fragment (SKF, RFC 7383
// §2.5) messages with the IKE SA's SkCipher of the sending direction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/crypto/SkCipher.hpp"
#include "ike/message/Message.hpp"

namespace ikemesh::ike {

/// The datagrams for one protected message: a single SK message, or, when it is larger than
/// `maxMessageLength` and `fragment` is true, SKF fragments (RFC 7383 §2.5.1). `maxMessageLength`
/// 0 disables fragmentation.
Result<std::vector<std::vector<std::uint8_t>>> protectMessage(SkCipher& cipher, const IkeHeader& header,
                                                              const std::vector<Payload>& inner,
                                                              bool fragment, std::size_t maxMessageLength);

/// The decrypted plaintext of one SK or SKF payload with padding and Pad Length removed
/// (RFC 7296 §3.14). `decoded` is decode(datagram).
Result<std::vector<std::uint8_t>> openProtectedPayload(SkCipher& cipher,
                                                       std::span<const std::uint8_t> datagram,
                                                       const Message& decoded);

}  // namespace ikemesh::ike
