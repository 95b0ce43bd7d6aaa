// SPDX-License-Identifier: GPL-2.0-or-later
#include "InternetChecksum.hpp"

#include <bit>
#include <cstring>

namespace ikemesh::tun {

std::uint64_t InternetChecksum::add(std::span<const std::uint8_t> data, std::uint64_t sum) noexcept {
  // RFC 1071 §2(B): the one's complement sum does not depend on byte order and may use wider
  // words (§2(C)), so the octets are summed as native 32-bit words into 64-bit accumulators
  // (no carries to propagate: 64 KiB add up to less than 2^46), which the compiler can
  // vectorise; only the folded result is swapped into network order.
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  for (; left >= 8; p += 8, left -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    low += static_cast<std::uint32_t>(word);
    high += word >> 32;
  }
  if (left > 0) {  // the remaining 1-7 octets, zero-padded (§1: an odd last octet)
    std::uint64_t word = 0;
    std::memcpy(&word, p, left);
    low += static_cast<std::uint32_t>(word);
    high += word >> 32;
  }
  std::uint16_t folded = fold(low + high);
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
