// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/Random.hpp"

#include <algorithm>
#include <climits>
#include <string>

#include "util/NssHandles.hpp"

namespace ikemesh::ike {

Result<void> fillRandom(std::span<std::uint8_t> out) {
  // PK11_GenerateRandom takes an int length; ask in chunks so any span size works.
  constexpr std::size_t maxChunk = INT_MAX;
  for (std::size_t offset = 0; offset < out.size(); offset += maxChunk) {
    const std::size_t chunk = std::min(maxChunk, out.size() - offset);
    if (PK11_GenerateRandom(out.data() + offset, static_cast<int>(chunk)) != SECSuccess)
      return fail("random generation of " + std::to_string(out.size()) + " octets failed: " + nssErrorText());
  }
  return success();
}

Result<std::vector<std::uint8_t>> randomBytes(std::size_t count) {
  std::vector<std::uint8_t> bytes(count);
  if (auto filled = fillRandom(bytes); !filled) return std::move(filled).error();
  return bytes;
}

}  // namespace ikemesh::ike
