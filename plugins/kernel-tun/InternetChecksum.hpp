// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ikemesh::tun {

/// The Internet checksum (RFC 1071) as the offloads need it: sums that can be continued, the
/// pseudo-header of TCP and UDP (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1), and the fold. A sum
/// is kept unfolded in 64 bits so that pieces add up without carries lost.
class InternetChecksum {
 public:
  /// Adds `data` (big-endian 16-bit words, an odd last octet padded with zero) to `sum`.
  /// On x86-64 CPUs with AVX2, runs of 64 octets or more are summed with AVX2.
  static std::uint64_t add(std::span<const std::uint8_t> data, std::uint64_t sum = 0) noexcept;
  /// The same sum with the portable loop only: what add() does without AVX2; the tests compare
  /// the two.
  static std::uint64_t addPortable(std::span<const std::uint8_t> data, std::uint64_t sum = 0) noexcept;
  /// The pseudo-header of TCP or UDP over IPv4 (4-octet addresses) or IPv6 (16-octet ones).
  static std::uint64_t pseudoHeader(std::span<const std::uint8_t> source,
                                    std::span<const std::uint8_t> destination, std::uint8_t protocol,
                                    std::uint32_t length) noexcept;
  /// The sum folded to 16 bits, not complemented (what a partial checksum field holds).
  static std::uint16_t fold(std::uint64_t sum) noexcept;
  /// The value a checksum field holds: the complement of the folded sum.
  static std::uint16_t finish(std::uint64_t sum) noexcept { return static_cast<std::uint16_t>(~fold(sum)); }

 private:
  /// An unfolded sum of native-order words, folded and put in network order.
  static std::uint64_t swappedFold(std::uint64_t words) noexcept;
};

/// The transport protocols whose checksums the offloads handle (IP protocol numbers), and
/// where each one's checksum field is in its header (a virtio header's checksumOffset).
inline constexpr std::uint8_t kProtocolTcp = 6;
inline constexpr std::uint8_t kProtocolUdp = 17;
inline constexpr std::size_t kTcpChecksumOffset = 16;
inline constexpr std::size_t kUdpChecksumOffset = 6;

/// Big-endian loads and stores of header fields.
inline std::uint16_t loadBigEndian16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t loadBigEndian32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void storeBigEndian16(std::uint8_t* p, std::uint16_t value) noexcept {
  p[0] = static_cast<std::uint8_t>(value >> 8);
  p[1] = static_cast<std::uint8_t>(value);
}
inline void storeBigEndian32(std::uint8_t* p, std::uint32_t value) noexcept {
  p[0] = static_cast<std::uint8_t>(value >> 24);
  p[1] = static_cast<std::uint8_t>(value >> 16);
  p[2] = static_cast<std::uint8_t>(value >> 8);
  p[3] = static_cast<std::uint8_t>(value);
}

}  // namespace ikemesh::tun
