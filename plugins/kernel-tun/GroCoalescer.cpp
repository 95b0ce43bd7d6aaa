// SPDX-License-Identifier: GPL-2.0-or-later
#include "GroCoalescer.hpp"

#include <cstring>

#include "InternetChecksum.hpp"

namespace ikemesh::tun {

namespace {

constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kMaxLength = 65535;  // the IPv4 total length field; also the GSO bound
constexpr std::uint32_t kMaxSegments = 64;
// How many of the most recent groups a packet is compared with: the flows of one batch are few.
constexpr std::size_t kFlowsSearched = 8;

std::size_t tcpHeaderLength(const std::uint8_t* tcp) noexcept {
  return static_cast<std::size_t>(tcp[12] >> 4) * 4;
}

/// The transport protocol of an IPv4 or IPv6 packet at least 20 or 40 octets long.
std::uint8_t protocolOf(const std::uint8_t* p) noexcept {
  return p[0] >> 4 == 4 ? p[9] : p[6];
}

}  // namespace

GroCoalescer::GroCoalescer(std::size_t maxPackets, bool udp) : udp_(udp) {
  packets_.reserve(maxPackets);
  groups_.reserve(maxPackets);
  iovecs_.resize(kMaxSegments + 1);
}

std::size_t GroCoalescer::coalescableIpHeader(std::span<const std::uint8_t> p) const noexcept {
  std::size_t ipHeader;
  std::uint64_t pseudo;
  if (p.size() >= 20 && p[0] == 0x45) {  // IPv4 without options
    if (loadBigEndian16(p.data() + 2) != p.size()) return 0;
    if ((loadBigEndian16(p.data() + 6) & 0x3fff) != 0) return 0;  // MF or a fragment offset
    ipHeader = 20;
  } else if (p.size() >= 40 && p[0] >> 4 == 6) {  // IPv6 without extension headers
    if (loadBigEndian16(p.data() + 4) + 40u != p.size()) return 0;
    ipHeader = 40;
  } else {
    return 0;
  }
  const std::uint8_t protocol = protocolOf(p.data());
  if (protocol != kProtocolTcp && !(udp_ && protocol == kProtocolUdp)) return 0;
  if (ipHeader == 20) {
    if (InternetChecksum::fold(InternetChecksum::add(p.first(20))) != 0xffff) return 0;
    pseudo = InternetChecksum::pseudoHeader(p.subspan(12, 4), p.subspan(16, 4), protocol,
                                            static_cast<std::uint32_t>(p.size() - 20));
  } else {
    pseudo = InternetChecksum::pseudoHeader(p.subspan(8, 16), p.subspan(24, 16), protocol,
                                            static_cast<std::uint32_t>(p.size() - 40));
  }
  const std::uint8_t* transport = p.data() + ipHeader;
  if (protocol == kProtocolTcp) {
    if (p.size() < ipHeader + 20) return 0;
    const std::size_t headers = ipHeader + tcpHeaderLength(transport);
    if (tcpHeaderLength(transport) < 20 || headers >= p.size()) return 0;  // no payload: nothing to join
    if ((transport[13] & ~(kTcpAck | kTcpPsh)) != 0 || !(transport[13] & kTcpAck)) return 0;
  } else {
    if (p.size() <= ipHeader + kUdpHeader) return 0;  // no payload
    if (loadBigEndian16(transport + 4) != p.size() - ipHeader) return 0;
    if (loadBigEndian16(transport + 6) == 0) return 0;  // no checksum (IPv4): nothing to verify
  }
  if (InternetChecksum::fold(InternetChecksum::add(p.subspan(ipHeader), pseudo)) != 0xffff) return 0;
  return ipHeader;
}

bool GroCoalescer::sameFiveTuple(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  // Only TCP and UDP flows have groups; anything shorter or else has no flow to keep in order.
  auto transport = [](std::span<const std::uint8_t> p) -> std::size_t {
    if (p.size() >= 20 && p[0] >> 4 == 4 && (p[9] == kProtocolTcp || p[9] == kProtocolUdp))
      return static_cast<std::size_t>(p[0] & 0x0f) * 4;
    if (p.size() >= 40 && p[0] >> 4 == 6 && (p[6] == kProtocolTcp || p[6] == kProtocolUdp)) return 40;
    return 0;
  };
  const std::size_t ta = transport(a);
  const std::size_t tb = transport(b);
  if (ta == 0 || tb == 0 || (a[0] >> 4) != (b[0] >> 4) || a.size() < ta + 4 || b.size() < tb + 4 ||
      protocolOf(a.data()) != protocolOf(b.data()))
    return false;
  const bool v4 = a[0] >> 4 == 4;
  const std::size_t addresses = v4 ? 12 : 8;
  const std::size_t addressesLength = v4 ? 8 : 32;
  return std::memcmp(a.data() + addresses, b.data() + addresses, addressesLength) == 0 &&
         std::memcmp(a.data() + ta, b.data() + tb, 4) == 0;
}

bool GroCoalescer::sameFlow(const std::uint8_t* a, const std::uint8_t* b, std::size_t ipHeader,
                            std::uint8_t protocol) noexcept {
  if (ipHeader == 20) {
    // TOS, DF (MF and offset are 0 in both), TTL and protocol, the addresses.
    if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8] || a[9] != b[9] || std::memcmp(a + 12, b + 12, 8) != 0)
      return false;
  } else {
    // Version, traffic class and flow label; next header; hop limit; the addresses.
    if (std::memcmp(a, b, 4) != 0 || a[6] != b[6] || a[7] != b[7] || std::memcmp(a + 8, b + 8, 32) != 0)
      return false;
  }
  const std::uint8_t* ta = a + ipHeader;
  const std::uint8_t* tb = b + ipHeader;
  if (protocol == kProtocolUdp) return std::memcmp(ta, tb, 4) == 0;  // the ports
  const std::size_t tcpHeader = tcpHeaderLength(ta);
  // Ports, acknowledgment number, header length, then the options octet for octet (as Linux
  // GRO compares them: timestamps must be equal).
  return std::memcmp(ta, tb, 4) == 0 && std::memcmp(ta + 8, tb + 8, 5) == 0 &&
         tcpHeaderLength(tb) == tcpHeader && std::memcmp(ta + 20, tb + 20, tcpHeader - 20) == 0;
}

bool GroCoalescer::tryJoin(Group& group, std::uint32_t index, std::size_t ipHeader) noexcept {
  const Packet& packet = packets_[index];
  const std::uint8_t* first = packets_[group.first].data;
  if (!group.open || group.ipHeaderLength != ipHeader || group.segments >= kMaxSegments) return false;
  if (!sameFlow(first, packet.data, ipHeader, group.protocol)) return false;
  const std::uint8_t* transport = packet.data + ipHeader;
  const bool tcp = group.protocol == kProtocolTcp;
  if (tcp && loadBigEndian32(transport + 4) != group.nextSequence) return false;
  const std::size_t payload = packet.length - group.headersLength;
  if (payload > group.segmentSize || group.totalLength + payload > kMaxLength) return false;
  packets_[group.last].next = index;
  group.last = index;
  ++group.segments;
  group.totalLength += static_cast<std::uint32_t>(payload);
  if (tcp) {
    group.nextSequence += static_cast<std::uint32_t>(payload);
    if (transport[13] & kTcpPsh) group.push = true;
  }
  if (payload < group.segmentSize || group.push) group.open = false;
  return true;
}

bool GroCoalescer::add(std::span<std::uint8_t> data) noexcept {
  if (full() || data.empty() || data.size() > kMaxLength) return false;
  const auto index = static_cast<std::uint32_t>(packets_.size());
  packets_.push_back(Packet{data.data(), static_cast<std::uint32_t>(data.size()), kNone});
  const std::size_t ipHeader = coalescableIpHeader(data);
  // The most recent group of this flow, if any: the packet joins it or closes it.
  const std::size_t searched = groups_.size() < kFlowsSearched ? groups_.size() : kFlowsSearched;
  for (std::size_t i = groups_.size(); i > groups_.size() - searched; --i) {
    Group& group = groups_[i - 1];
    const Packet& first = packets_[group.first];
    if (!sameFiveTuple({first.data, first.length}, data)) continue;
    if (ipHeader != 0 && tryJoin(group, index, ipHeader)) return true;
    group.open = false;
    break;
  }
  Group group{};
  group.first = group.last = index;
  group.segments = 1;
  group.totalLength = static_cast<std::uint32_t>(data.size());
  group.ipHeaderLength = static_cast<std::uint16_t>(ipHeader);
  if (ipHeader != 0) {
    const std::uint8_t* transport = data.data() + ipHeader;
    group.protocol = protocolOf(data.data());
    if (group.protocol == kProtocolTcp) {
      group.headersLength = static_cast<std::uint16_t>(ipHeader + tcpHeaderLength(transport));
      group.segmentSize = static_cast<std::uint16_t>(data.size() - group.headersLength);
      group.nextSequence = loadBigEndian32(transport + 4) + group.segmentSize;
      group.push = (transport[13] & kTcpPsh) != 0;
    } else {
      group.headersLength = static_cast<std::uint16_t>(ipHeader + kUdpHeader);
      group.segmentSize = static_cast<std::uint16_t>(data.size() - group.headersLength);
    }
    group.open = !group.push;
  }
  groups_.push_back(group);
  return true;
}

int GroCoalescer::finish(Group& group) noexcept {
  group.header = VirtioNetHeader{};
  iovecs_[0] = iovec{&group.header, sizeof group.header};
  Packet& first = packets_[group.first];
  iovecs_[1] = iovec{first.data, first.length};
  if (group.segments == 1) return 2;

  std::uint8_t* p = first.data;
  const std::size_t ipHeader = group.ipHeaderLength;
  const bool tcp = group.protocol == kProtocolTcp;
  const auto transportLength = static_cast<std::uint32_t>(group.totalLength - ipHeader);
  std::uint64_t pseudo;
  if (ipHeader == 20) {
    storeBigEndian16(p + 2, static_cast<std::uint16_t>(group.totalLength));
    storeBigEndian16(p + 10, 0);
    storeBigEndian16(p + 10, InternetChecksum::finish(InternetChecksum::add({p, 20})));
    pseudo = InternetChecksum::pseudoHeader({p + 12, 4}, {p + 16, 4}, group.protocol, transportLength);
  } else {
    storeBigEndian16(p + 4, static_cast<std::uint16_t>(transportLength));
    pseudo = InternetChecksum::pseudoHeader({p + 8, 16}, {p + 24, 16}, group.protocol, transportLength);
  }
  std::uint8_t* transport = p + ipHeader;
  std::size_t checksumField;
  if (tcp) {
    if (group.push) transport[13] |= kTcpPsh;
    group.header.gsoType = ipHeader == 20 ? VirtioNetHeader::kGsoTcpV4 : VirtioNetHeader::kGsoTcpV6;
    checksumField = kTcpChecksumOffset;
  } else {
    // The whole group's length, as in a datagram sent with UDP_SEGMENT: the kernel gives each
    // segment its own and adjusts the partial checksum to it.
    storeBigEndian16(transport + 4, static_cast<std::uint16_t>(transportLength));
    group.header.gsoType = VirtioNetHeader::kGsoUdpL4;
    checksumField = kUdpChecksumOffset;
  }
  // CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel adds the rest.
  storeBigEndian16(transport + checksumField, InternetChecksum::fold(pseudo));
  group.header.flags = VirtioNetHeader::kNeedsChecksum;
  group.header.headerLength = group.headersLength;
  group.header.gsoSize = group.segmentSize;
  group.header.checksumStart = static_cast<std::uint16_t>(ipHeader);
  group.header.checksumOffset = static_cast<std::uint16_t>(checksumField);

  int count = 2;
  for (std::uint32_t next = first.next; next != kNone; next = packets_[next].next) {
    const Packet& packet = packets_[next];
    iovecs_[static_cast<std::size_t>(count++)] =
        iovec{packet.data + group.headersLength, packet.length - group.headersLength};
  }
  coalesced_ += group.segments;
  return count;
}

}  // namespace ikemesh::tun
