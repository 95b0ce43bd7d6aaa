// SPDX-License-Identifier: GPL-2.0-or-later
// The IKEv2 pseudorandom function and its expansion prf+ (RFC 7296 §2.13), on libcrypto's HMAC (HmacContext).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <ikemesh/result.hpp>

#include "ike/crypto/SecureBytes.hpp"
#include "ike/crypto/Transforms.hpp"

namespace ikemesh::ike {

/// prf(key, data): the full HMAC output (RFC 4868 §2.1.1: PRF-HMAC-SHA2 is not truncated).
/// Thread-safe (no shared state).
Result<SecureBytes> prf(PrfAlgorithm algorithm, std::span<const std::uint8_t> key,
                        std::span<const std::uint8_t> data);

/// prf+(key, seed) cut to `length` octets (RFC 7296 §2.13):
///   T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), prf+ = T1 | T2 | ...
/// The counter is one octet, so at most 255 blocks: longer requests fail.
Result<SecureBytes> prfPlus(PrfAlgorithm algorithm, std::span<const std::uint8_t> key,
                            std::span<const std::uint8_t> seed, std::size_t length);

}  // namespace ikemesh::ike
