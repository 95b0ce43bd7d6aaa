// SPDX-License-Identifier: GPL-2.0-or-later
// Strict RFC 7296 / RFC 7383 decoding. Every length, count and size is checked against the
// bytes that are there; on any doubt the input is rejected with an error naming the field.
// Never throws, never reads outside the given span.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ike/message/DecodeError.hpp"
#include "ike/message/Message.hpp"

namespace ikemesh::ike {

/// Reads and checks only the 28-octet header (§3.1): version 2.x, exchange type 34-37, a
/// non-zero initiator SPI, and a Length equal to the datagram's size. `datagram` is the UDP
/// payload without the non-ESP marker of port 4500 (RFC 3948 §2.2).
DecodeResult<IkeHeader> decodeHeader(std::span<const std::uint8_t> datagram);

/// Decodes a whole message: the header and the outer payload chain, which must end exactly at
/// the end of the message. Unknown non-critical payloads are skipped (not in the result);
/// an unknown critical one fails with Kind::UnsupportedCriticalPayload (§2.5). SK and SKF must
/// be the last payload; their content stays opaque.
DecodeResult<Message> decode(std::span<const std::uint8_t> datagram);

/// Decodes the decrypted content of an SK payload (or the reassembled content of SKF
/// fragments): the payload chain starting with `firstPayload` (the SK/SKF header's Next
/// Payload), without padding and Pad Length. Same checks as decode(); SK and SKF are not
/// allowed inside. An empty chain (`firstPayload` None, no bytes) is valid.
DecodeResult<std::vector<Payload>> decodeInner(PayloadType firstPayload,
                                               std::span<const std::uint8_t> plaintext);

/// The octets an AEAD cipher authenticates in a received message (RFC 5282 §5.1): everything in
/// front of the SK/SKF IV, i.e. the header, the payloads before SK, and the SK (or SKF) header.
/// `decoded` must be decode(datagram) and end with SK or SKF; otherwise the result is empty.
std::span<const std::uint8_t> receivedAssociatedData(std::span<const std::uint8_t> datagram,
                                                     const Message& decoded);

}  // namespace ikemesh::ike
