// SPDX-License-Identifier: GPL-2.0-or-later
#include "InternetChecksum.hpp"

#include <cstring>

namespace ikemesh::tun {

std::uint64_t InternetChecksum::add(std::span<const std::uint8_t> data, std::uint64_t sum) noexcept {
  // RFC 1071 §2(B): the sum is independent of byte order and word size, so 32-bit big-endian
  // words summed into 64 bits fold to the same 16-bit result (64 KiB cannot overflow it).
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  while (left >= 4) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    sum += __builtin_bswap32(word);
    p += 4;
    left -= 4;
  }
  if (left >= 2) {
    sum += loadBigEndian16(p);
    p += 2;
    left -= 2;
  }
  if (left == 1) sum += std::uint32_t{p[0]} << 8;
  return sum;
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
