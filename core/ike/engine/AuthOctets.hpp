// SPDX-License-Identifier: GPL-2.0-or-later
// The pieces of RFC 7296 §2.15 that the engine assembles for the auth plugin.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/result.hpp>

#include "ike/crypto/Transforms.hpp"
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// IDi' / IDr': the ID payload without its generic header (ID Type, three reserved octets, data).
Bytes identityBody(const Identity& id);

/// InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, and the responder's mirror:
/// `firstMessage` | `otherNonce` | prf(SK_p, ID').
Result<std::vector<std::uint8_t>> authSignedOctets(PrfAlgorithm prf,
                                                   std::span<const std::uint8_t> firstMessage,
                                                   std::span<const std::uint8_t> otherNonce,
                                                   std::span<const std::uint8_t> skP, const Identity& id);

/// The negotiated PRF as the SDK's PrfFunction (thread-safe).
PrfFunction prfFunction(PrfAlgorithm prf);

}  // namespace ikemesh::ike
