// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <ikemesh/net.hpp>

namespace ikemesh::tun {

/// The fields of an IP packet read from the TUN device that routing and acquires need.
struct PacketHeaders {
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;  ///< IPv4 protocol or IPv6 next header
  std::size_t headerLength = 0;
  std::uint16_t sourcePort = 0;  ///< TCP, UDP, SCTP of an unfragmented packet; else 0
  std::uint16_t destinationPort = 0;

  /// Parses an IPv4 or IPv6 header (no extension headers are walked); nullopt when the packet
  /// is not a well-formed IP packet.
  static std::optional<PacketHeaders> parse(std::span<const std::uint8_t> packet) noexcept;
};

/// Writes an IPv4 (20 octets) or IPv6 (40 octets) header for a transport-mode payload of
/// `payloadLength` octets just before `payload`; returns the header length. The caller
/// guarantees that much headroom (RFC 4303 §3.1.1: transport mode restores the IP header).
std::size_t writeIpHeader(std::uint8_t* payload, std::size_t payloadLength, const IpAddress& source,
                          const IpAddress& destination, std::uint8_t protocol) noexcept;

}  // namespace ikemesh::tun
