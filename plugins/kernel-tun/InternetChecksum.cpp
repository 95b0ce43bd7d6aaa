// SPDX-License-Identifier: GPL-2.0-or-later
#include "InternetChecksum.hpp"

#include <bit>
#include <cstring>

namespace ikemesh::tun {

std::uint64_t InternetChecksum::add(std::span<const std::uint8_t> data, std::uint64_t sum) noexcept {
  // RFC 1071 §2(B): the one's complement sum does not depend on byte order, so the octets are
  // summed as native 64-bit words with end-around carry and only the folded result is swapped
  // into network order (§2(C): wider words, fewer additions).
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  std::uint64_t native = 0;
  auto addCarry = [&native](std::uint64_t word) {
    native += word;
    native += native < word ? 1 : 0;
  };
  while (left >= 32) {
    std::uint64_t words[4];
    std::memcpy(words, p, 32);
    addCarry(words[0]);
    addCarry(words[1]);
    addCarry(words[2]);
    addCarry(words[3]);
    p += 32;
    left -= 32;
  }
  while (left >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    addCarry(word);
    p += 8;
    left -= 8;
  }
  if (left > 0) {  // the remaining 1-7 octets, zero-padded (§1: an odd last octet)
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, left);
    addCarry(tail);
  }
  std::uint16_t folded = fold(native);
  if constexpr (std::endian::native == std::endian::little)
    folded = static_cast<std::uint16_t>((folded >> 8) | (folded << 8));
  return sum + folded;
}

std::uint64_t InternetChecksum::pseudoHeader(std::span<const std::uint8_t> source,
                                             std::span<const std::uint8_t> destination, std::uint8_t protocol,
                                             std::uint32_t length) noexcept {
  std::uint64_t sum = add(source);
  sum = add(destination, sum);
  return sum + protocol + (length >> 16) + (length & 0xffff);
}

std::uint16_t InternetChecksum::fold(std::uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace ikemesh::tun
