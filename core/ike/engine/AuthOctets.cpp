// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/AuthOctets.hpp"

#include <algorithm>

#include "ike/crypto/Prf.hpp"

namespace ikemesh::ike {

Bytes identityBody(const Identity& id) {
  Bytes body(4 + id.data.size(), 0);  // ID Type, then three RESERVED octets
  body[0] = static_cast<std::uint8_t>(id.type);
  std::copy(id.data.begin(), id.data.end(), body.begin() + 4);
  return body;
}

Result<std::vector<std::uint8_t>> authSignedOctets(PrfAlgorithm algorithm,
                                                   std::span<const std::uint8_t> firstMessage,
                                                   std::span<const std::uint8_t> otherNonce,
                                                   std::span<const std::uint8_t> skP, const Identity& id) {
  auto maced = prf(algorithm, skP, identityBody(id));
  if (!maced) return fail("prf(SK_p, ID'): " + maced.error().message);
  std::vector<std::uint8_t> octets(firstMessage.begin(), firstMessage.end());
  octets.insert(octets.end(), otherNonce.begin(), otherNonce.end());
  octets.insert(octets.end(), maced->begin(), maced->end());
  return octets;
}

PrfFunction prfFunction(PrfAlgorithm algorithm) {
  return [algorithm](std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    auto out = prf(algorithm, key, data);
    return out ? std::vector<std::uint8_t>(out->begin(), out->end()) : std::vector<std::uint8_t>{};
  };
}

}  // namespace ikemesh::ike
