// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VirtioNetHeader.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace ikemesh::tun {

/// Why a packet read from the TUN device could not be segmented. Values: no allocation.
enum class SegmentStatus : std::uint8_t {
  Ok,
  Malformed,        ///< the virtio_net_hdr does not fit the packet (offsets, lengths, IP version)
  UnsupportedGso,   ///< a GSO type we did not ask the kernel for (e.g. UFO, ECN)
  TooManySegments,  ///< more segments than output slots
  SlotTooSmall,     ///< a segment (headers + gso_size) is larger than an output slot
};

/// Where segments go: `count` slots of `capacity` octets, `stride` apart, from `first`.
struct SegmentSlots {
  std::uint8_t* first = nullptr;
  std::size_t stride = 0;
  std::size_t capacity = 0;
  std::size_t count = 0;
};

struct SegmentResult {
  SegmentStatus status = SegmentStatus::Ok;
  std::size_t segments = 0;  ///< slots filled; lengths[i] is the length of slot i
};

/// Turns one read of a TUN device opened with IFF_VNET_HDR and TUNSETOFFLOAD into the IP
/// packets it stands for, each complete with its own checksums (what a NIC does for TSO/USO):
///
/// * gso_type NONE: the packet as it is, its transport checksum completed when the kernel left
///   it partial (VirtioNetHeader::kNeedsChecksum: sum from csum_start to the end, seeded by the
///   pseudo-header the kernel put into the field at csum_start + csum_offset).
/// * TCPV4, TCPV6: segments of gso_size payload octets each (the last may be shorter) with the
///   IP and TCP header copied; per segment the IPv4 total length, identification (+1 per
///   segment, as Linux's own segmentation does) and header checksum, or the IPv6 payload length; the
///   TCP sequence number advanced by the payload before it; FIN and PSH only on the last
///   segment and CWR only on the first (as Linux's tcp_gso_segment does); the TCP checksum.
/// * UDP_L4 (USO): datagrams of gso_size payload octets with their own UDP length and checksum
///   (a computed 0 is sent as 0xffff, RFC 768).
///
/// The header lengths are taken from the packet (IHL, TCP data offset), not from hdr_len, which
/// is only a hint. The input is the kernel's and is trusted only as
/// far as it is checked here: every offset is bounds-checked.
///
/// Threading: stateless; no allocation.
class GsoSegmenter {
 public:
  static SegmentResult split(const VirtioNetHeader& header, std::span<std::uint8_t> packet,
                             const SegmentSlots& out, std::span<std::size_t> lengths) noexcept;

  /// Completes a partial checksum in place (VirtioNetHeader::kNeedsChecksum without GSO).
  static bool completeChecksum(const VirtioNetHeader& header, std::span<std::uint8_t> packet) noexcept;
};

}  // namespace ikemesh::tun
