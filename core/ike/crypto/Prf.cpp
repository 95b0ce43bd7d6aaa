// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/Prf.hpp"

#include <string>

#include "ike/crypto/HmacContext.hpp"

namespace ikemesh::ike {

Result<SecureBytes> prf(PrfAlgorithm algorithm, std::span<const std::uint8_t> key,
                        std::span<const std::uint8_t> data) {
  auto hmac = HmacContext::create(HmacContext::hashOf(algorithm), key);
  if (!hmac) return Error{transformName(algorithm) + ": " + hmac.error().message};
  return hmac->compute(data);
}

Result<SecureBytes> prfPlus(PrfAlgorithm algorithm, std::span<const std::uint8_t> key,
                            std::span<const std::uint8_t> seed, std::size_t length) {
  const std::size_t blockLength = prfOutputLength(algorithm);
  // RFC 7296 §2.13: "this function is only defined for 255 times the size of the PRF output".
  if (length > 255 * blockLength)
    return fail("prf+ of " + std::to_string(length) + " octets exceeds 255 blocks of " +
                transformName(algorithm) + " (" + std::to_string(255 * blockLength) +
                " octets, RFC 7296 §2.13)");
  auto hmac = HmacContext::create(HmacContext::hashOf(algorithm), key);
  if (!hmac) return Error{transformName(algorithm) + ": " + hmac.error().message};

  SecureBytes output;
  SecureBytes previous;  // Tn-1, empty for T1
  for (std::uint8_t counter = 1; output.size() < length; ++counter) {
    const std::uint8_t counterOctet[1] = {counter};
    if (auto r = hmac->begin(); !r) return std::move(r).error();
    if (auto r = hmac->update(previous); !r) return std::move(r).error();
    if (auto r = hmac->update(seed); !r) return std::move(r).error();
    if (auto r = hmac->update(counterOctet); !r) return std::move(r).error();
    SecureBytes block(blockLength);
    if (auto r = hmac->finish(block.mutableSpan()); !r) return std::move(r).error();
    output.append(block);
    previous = std::move(block);
  }
  output.resize(length);
  return output;
}

}  // namespace ikemesh::ike
