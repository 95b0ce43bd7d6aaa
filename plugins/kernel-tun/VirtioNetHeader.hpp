// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>

namespace ikemesh::tun {

/// The header that precedes every read and write of a TUN device opened with IFF_VNET_HDR:
/// struct virtio_net_hdr of the virtio specification (v1.2 §5.1.6), in host byte order (the
/// "legacy" layout TUN uses unless TUNSETVNETLE/BE says otherwise). Declared here because
/// <linux/virtio_net.h> does not compile as C++ (a member named `class`) and Debian 12's copy
/// lacks GSO_UDP_L4.
struct VirtioNetHeader {
  static constexpr std::uint8_t kNeedsChecksum = 1;  ///< VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr std::uint8_t kGsoNone = 0;
  static constexpr std::uint8_t kGsoTcpV4 = 1;
  static constexpr std::uint8_t kGsoUdp = 3;  ///< UFO: fragments, never asked for
  static constexpr std::uint8_t kGsoTcpV6 = 4;
  static constexpr std::uint8_t kGsoUdpL4 = 5;  ///< USO: UDP datagrams of gso_size (Linux 6.2)
  static constexpr std::uint8_t kGsoEcn = 0x80;

  std::uint8_t flags = 0;
  std::uint8_t gsoType = kGsoNone;
  std::uint16_t headerLength = 0;    ///< hdr_len: IP + transport headers (a hint only)
  std::uint16_t gsoSize = 0;         ///< payload octets per segment
  std::uint16_t checksumStart = 0;   ///< where the transport header starts
  std::uint16_t checksumOffset = 0;  ///< the checksum field, from checksumStart
};
static_assert(sizeof(VirtioNetHeader) == 10, "the kernel's struct virtio_net_hdr is 10 octets");

}  // namespace ikemesh::tun
