// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7296 / RFC 7383 encoding. The encoder computes every length, count, Next Payload field
// and Last Substruc field; the model holds only what a sender chooses.
//
// Preconditions (programming errors, not peer input): each Payload's type agrees with its body
// (bodyMatchesType), SK/SKF is only the last payload of an outer chain, and each payload body
// fits the 16-bit Payload Length. Messages produced by decode() always satisfy them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/message/Message.hpp"

namespace ikemesh::ike {

/// The datagram for `message`: the header (version 2.0, Length, Next Payload) and the chain.
std::vector<std::uint8_t> encode(const Message& message);

/// A payload chain without IKE header: the plaintext of an SK payload (before padding and Pad
/// Length are added and it is encrypted). Its first payload type goes into
/// EncryptedPayload::firstInnerPayload.
std::vector<std::uint8_t> encodeInner(std::span<const Payload> payloads);

/// The octets an AEAD cipher authenticates when sending (RFC 5282 §5.1): everything of
/// encode(message) in front of the IV of its last payload, which must be SK or SKF. Put a body
/// of the final size (IV + ciphertext + ICV, contents irrelevant) into that payload first, since
/// the lengths it covers depend on it.
Result<std::vector<std::uint8_t>> encodeAssociatedData(const Message& message);

}  // namespace ikemesh::ike
