// SPDX-License-Identifier: GPL-2.0-or-later
// Test packets for the TUN offload tests, with checksums computed here by the textbook
// RFC 1071 loop (16-bit words, end-around carry), independently of InternetChecksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace offload_packets {

inline std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}

/// RFC 1071 §4.1, word by word.
inline std::uint16_t onesComplementSum(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    std::uint32_t word = std::uint32_t{bytes[i]} << 8;
    if (i + 1 < bytes.size()) word |= bytes[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

/// The pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1) followed by the transport segment.
inline std::vector<std::uint8_t> withPseudoHeader(std::span<const std::uint8_t> packet, std::size_t ipHeader,
                                                  std::uint8_t protocol) {
  const bool v4 = packet[0] >> 4 == 4;
  std::vector<std::uint8_t> bytes;
  const std::size_t addresses = v4 ? 12 : 8, length = v4 ? 8 : 32;
  bytes.insert(bytes.end(), packet.begin() + addresses, packet.begin() + addresses + length);
  const std::size_t transport = packet.size() - ipHeader;
  if (v4) {
    bytes.insert(bytes.end(), {0, protocol, static_cast<std::uint8_t>(transport >> 8),
                               static_cast<std::uint8_t>(transport)});
  } else {
    bytes.insert(
        bytes.end(),
        {static_cast<std::uint8_t>(transport >> 24), static_cast<std::uint8_t>(transport >> 16),
         static_cast<std::uint8_t>(transport >> 8), static_cast<std::uint8_t>(transport), 0, 0, 0, protocol});
  }
  bytes.insert(bytes.end(), packet.begin() + ipHeader, packet.end());
  return bytes;
}

/// Whether the transport checksum (TCP or UDP) of `packet` verifies.
inline bool transportChecksumValid(std::span<const std::uint8_t> packet, std::size_t ipHeader,
                                   std::uint8_t protocol) {
  return onesComplementSum(withPseudoHeader(packet, ipHeader, protocol)) == 0xffff;
}
inline bool ipv4HeaderChecksumValid(std::span<const std::uint8_t> packet) {
  return onesComplementSum({packet.begin(), packet.begin() + 20}) == 0xffff;
}

/// The IP header of the test packets, for a packet of p.size() octets: 192.0.2.1 to
/// 198.51.100.2 with DF and IPv4 ID `id`, or 2001:db8::1 to 2001:db8::2; TTL or hop limit `ttl`.
inline void writeIpHeader(std::vector<std::uint8_t>& p, bool v6, std::uint8_t protocol, std::uint16_t id,
                          std::uint8_t ttl) {
  if (v6) {
    p[0] = 0x60;
    put16(&p[4], static_cast<std::uint32_t>(p.size() - 40));
    p[6] = protocol;
    p[7] = ttl;
    const std::uint8_t source[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    for (int i = 0; i < 16; ++i) p[8 + i] = source[i], p[24 + i] = source[i];
    p[39] = 2;
    return;
  }
  p[0] = 0x45;
  put16(&p[2], static_cast<std::uint32_t>(p.size()));
  put16(&p[4], id);
  p[6] = 0x40;  // DF
  p[8] = ttl;
  p[9] = protocol;
  const std::uint8_t addresses[8] = {192, 0, 2, 1, 198, 51, 100, 2};
  for (int i = 0; i < 8; ++i) p[12 + i] = addresses[i];
  put16(&p[10], static_cast<std::uint16_t>(~onesComplementSum({p.begin(), p.begin() + 20})));
}

struct TcpSpec {
  bool v6 = false;
  std::uint32_t sequence = 1000;
  std::uint32_t ack = 7;
  std::uint8_t flags = 0x10;  // ACK
  std::uint16_t id = 0x100;
  std::vector<std::uint8_t> options;  // a multiple of 4
  std::size_t payload = 100;
  std::uint8_t payloadSeed = 0;
  std::uint16_t sourcePort = 40000;
};

/// A TCP packet with valid checksums; payload octet i is (seed + i) mod 256... of the stream
/// position, so consecutive segments carry a continuous pattern.
inline std::vector<std::uint8_t> tcpPacket(const TcpSpec& s) {
  const std::size_t ipHeader = s.v6 ? 40 : 20;
  const std::size_t tcpHeader = 20 + s.options.size();
  std::vector<std::uint8_t> p(ipHeader + tcpHeader + s.payload, 0);
  writeIpHeader(p, s.v6, 6, s.id, 64);
  std::uint8_t* tcp = &p[ipHeader];
  put16(tcp, s.sourcePort);
  put16(tcp + 2, 5201);
  put32(tcp + 4, s.sequence);
  put32(tcp + 8, s.ack);
  tcp[12] = static_cast<std::uint8_t>((tcpHeader / 4) << 4);
  tcp[13] = s.flags;
  put16(tcp + 14, 64000);
  for (std::size_t i = 0; i < s.options.size(); ++i) tcp[20 + i] = s.options[i];
  for (std::size_t i = 0; i < s.payload; ++i)
    tcp[tcpHeader + i] = static_cast<std::uint8_t>(s.sequence + i + s.payloadSeed);
  put16(tcp + 16, static_cast<std::uint16_t>(~onesComplementSum(withPseudoHeader(p, ipHeader, 6))));
  return p;
}

struct UdpSpec {
  bool v6 = false;
  std::uint16_t id = 0x200;
  std::uint8_t ttl = 64;
  std::size_t payload = 100;
  std::uint8_t payloadSeed = 0;
  std::uint16_t sourcePort = 40000;
  bool noChecksum = false;  // IPv4: checksum field 0
};

/// A UDP datagram with valid checksums (or none); payload octet i is (seed + i) mod 256.
inline std::vector<std::uint8_t> udpPacket(const UdpSpec& s) {
  const std::size_t ipHeader = s.v6 ? 40 : 20;
  std::vector<std::uint8_t> p(ipHeader + 8 + s.payload, 0);
  writeIpHeader(p, s.v6, 17, s.id, s.ttl);
  std::uint8_t* udp = &p[ipHeader];
  put16(udp, s.sourcePort);
  put16(udp + 2, 5201);
  put16(udp + 4, static_cast<std::uint32_t>(8 + s.payload));
  for (std::size_t i = 0; i < s.payload; ++i) udp[8 + i] = static_cast<std::uint8_t>(s.payloadSeed + i);
  if (!s.noChecksum) {
    auto checksum = static_cast<std::uint16_t>(~onesComplementSum(withPseudoHeader(p, ipHeader, 17)));
    put16(udp + 6, checksum == 0 ? 0xffff : checksum);  // RFC 768: 0 would mean none
  }
  return p;
}

/// RFC 7323 timestamps option, padded with two NOPs.
inline std::vector<std::uint8_t> timestamps(std::uint32_t value, std::uint32_t echo) {
  std::vector<std::uint8_t> o{1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  put32(&o[4], value);
  put32(&o[8], echo);
  return o;
}

}  // namespace offload_packets
