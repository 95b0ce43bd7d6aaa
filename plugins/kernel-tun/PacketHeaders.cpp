// SPDX-License-Identifier: GPL-2.0-or-later
#include "PacketHeaders.hpp"

#include <array>
#include <cstring>

namespace ikemesh::tun {

namespace {

bool carriesPorts(std::uint8_t protocol) {
  return protocol == 6 || protocol == 17 || protocol == 132;  // TCP, UDP, SCTP
}

std::uint16_t loadBe16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

}  // namespace

std::optional<PacketHeaders> PacketHeaders::parse(std::span<const std::uint8_t> packet) noexcept {
  if (packet.empty()) return std::nullopt;
  PacketHeaders headers;
  const std::uint8_t* p = packet.data();
  bool fragment = false;
  if (p[0] >> 4 == 4) {
    if (packet.size() < 20) return std::nullopt;
    headers.headerLength = static_cast<std::size_t>(p[0] & 0x0f) * 4;
    if (headers.headerLength < 20 || headers.headerLength > packet.size()) return std::nullopt;
    std::array<std::uint8_t, 4> address;
    std::memcpy(address.data(), p + 12, 4);
    headers.source = IpAddress::v4(address);
    std::memcpy(address.data(), p + 16, 4);
    headers.destination = IpAddress::v4(address);
    headers.protocol = p[9];
    fragment = (loadBe16(p + 6) & 0x1fff) != 0;  // not the first fragment: no ports
  } else if (p[0] >> 4 == 6) {
    if (packet.size() < 40) return std::nullopt;
    headers.headerLength = 40;
    std::array<std::uint8_t, 16> address;
    std::memcpy(address.data(), p + 8, 16);
    headers.source = IpAddress::v6(address);
    std::memcpy(address.data(), p + 24, 16);
    headers.destination = IpAddress::v6(address);
    headers.protocol = p[6];
  } else {
    return std::nullopt;
  }
  if (!fragment && carriesPorts(headers.protocol) && packet.size() >= headers.headerLength + 4) {
    headers.sourcePort = loadBe16(p + headers.headerLength);
    headers.destinationPort = loadBe16(p + headers.headerLength + 2);
  }
  return headers;
}

std::size_t writeIpHeader(std::uint8_t* payload, std::size_t payloadLength, const IpAddress& source,
                          const IpAddress& destination, std::uint8_t protocol) noexcept {
  if (source.isV4()) {
    std::uint8_t* h = payload - 20;
    const std::size_t total = payloadLength + 20;
    const std::uint8_t header[12] = {0x45,
                                     0,
                                     static_cast<std::uint8_t>(total >> 8),
                                     static_cast<std::uint8_t>(total),
                                     0,
                                     0,
                                     0x40,  // DF
                                     0,
                                     64,
                                     protocol,
                                     0,
                                     0};
    std::memcpy(h, header, sizeof header);
    std::memcpy(h + 12, source.data(), 4);
    std::memcpy(h + 16, destination.data(), 4);
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>((h[i] << 8) | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const auto checksum = static_cast<std::uint16_t>(~sum);
    h[10] = static_cast<std::uint8_t>(checksum >> 8);
    h[11] = static_cast<std::uint8_t>(checksum);
    return 20;
  }
  std::uint8_t* h = payload - 40;
  std::memset(h, 0, 8);
  h[0] = 0x60;
  h[4] = static_cast<std::uint8_t>(payloadLength >> 8);
  h[5] = static_cast<std::uint8_t>(payloadLength);
  h[6] = protocol;
  h[7] = 64;
  std::memcpy(h + 8, source.data(), 16);
  std::memcpy(h + 24, destination.data(), 16);
  return 40;
}

}  // namespace ikemesh::tun
