// SPDX-License-Identifier: GPL-2.0-or-later
#include "GsoSegmenter.hpp"

#include <algorithm>
#include <cstring>

#include "InternetChecksum.hpp"

namespace ikemesh::tun {

namespace {

constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint8_t kTcpCwr = 0x80;

}  // namespace

bool GsoSegmenter::completeChecksum(const VirtioNetHeader& header, std::span<std::uint8_t> packet) noexcept {
  const std::size_t start = header.checksumStart;
  const std::size_t field = start + header.checksumOffset;
  if (field + 2 > packet.size() || start > packet.size()) return false;
  // The field holds the pseudo-header sum; summing over it with the data gives the checksum.
  const std::uint16_t value = InternetChecksum::finish(InternetChecksum::add(packet.subspan(start)));
  storeBigEndian16(packet.data() + field, value);
  return true;
}

SegmentResult GsoSegmenter::split(const VirtioNetHeader& header, std::span<std::uint8_t> packet,
                                  const SegmentSlots& out, std::span<std::size_t> lengths) noexcept {
  const std::size_t slots = std::min(out.count, lengths.size());
  if (header.gsoType == VirtioNetHeader::kGsoNone) {
    if (packet.empty()) return {SegmentStatus::Malformed, 0};
    if (slots == 0) return {SegmentStatus::TooManySegments, 0};
    if (packet.size() > out.capacity) return {SegmentStatus::SlotTooSmall, 0};
    if ((header.flags & VirtioNetHeader::kNeedsChecksum) && !completeChecksum(header, packet))
      return {SegmentStatus::Malformed, 0};
    std::memcpy(out.first, packet.data(), packet.size());
    lengths[0] = packet.size();
    return {SegmentStatus::Ok, 1};
  }

  const std::uint8_t type = header.gsoType;
  const bool tcp = type == VirtioNetHeader::kGsoTcpV4 || type == VirtioNetHeader::kGsoTcpV6;
  if (!tcp && type != VirtioNetHeader::kGsoUdpL4) return {SegmentStatus::UnsupportedGso, 0};
  if (packet.empty()) return {SegmentStatus::Malformed, 0};
  const int version = packet[0] >> 4;
  const bool v4 = version == 4;
  if ((type == VirtioNetHeader::kGsoTcpV4 && !v4) || (type == VirtioNetHeader::kGsoTcpV6 && version != 6) ||
      (version != 4 && version != 6))
    return {SegmentStatus::Malformed, 0};
  const std::size_t ipHeader = header.checksumStart;  // the transport header starts here
  const std::size_t minimumIp = v4 ? 20 : 40;
  if (ipHeader < minimumIp || ipHeader + (tcp ? 20 : 8) > packet.size()) return {SegmentStatus::Malformed, 0};
  if (header.checksumOffset != (tcp ? kTcpChecksumOffset : kUdpChecksumOffset))
    return {SegmentStatus::Malformed, 0};
  if (v4 && static_cast<std::size_t>(packet[0] & 0x0f) * 4 != ipHeader) return {SegmentStatus::Malformed, 0};
  const std::size_t transportHeader = tcp ? static_cast<std::size_t>(packet[ipHeader + 12] >> 4) * 4 : 8;
  const std::size_t headers = ipHeader + transportHeader;
  if (transportHeader < (tcp ? 20u : 8u) || headers > packet.size()) return {SegmentStatus::Malformed, 0};
  const std::size_t segmentPayload = header.gsoSize;
  if (segmentPayload == 0) return {SegmentStatus::Malformed, 0};
  if (headers + segmentPayload > out.capacity) return {SegmentStatus::SlotTooSmall, 0};
  const std::size_t payload = packet.size() - headers;
  const std::size_t count = std::max<std::size_t>(1, (payload + segmentPayload - 1) / segmentPayload);
  if (count > slots) return {SegmentStatus::TooManySegments, 0};

  const std::size_t addressLength = v4 ? 4 : 16;
  const std::uint8_t* source = packet.data() + (v4 ? 12 : 8);
  const std::uint8_t* destination = source + addressLength;
  const std::uint16_t firstId = v4 ? loadBigEndian16(packet.data() + 4) : 0;
  const std::uint32_t firstSequence = tcp ? loadBigEndian32(packet.data() + ipHeader + 4) : 0;
  const std::uint8_t protocol = tcp ? kProtocolTcp : kProtocolUdp;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = i * segmentPayload;
    const std::size_t length = std::min(segmentPayload, payload - std::min(payload, offset));
    const std::size_t total = headers + length;
    std::uint8_t* segment = out.first + i * out.stride;
    std::memcpy(segment, packet.data(), headers);
    std::memcpy(segment + headers, packet.data() + headers + offset, length);
    if (v4) {
      storeBigEndian16(segment + 2, static_cast<std::uint16_t>(total));
      storeBigEndian16(segment + 4, static_cast<std::uint16_t>(firstId + i));
      storeBigEndian16(segment + 10, 0);
      storeBigEndian16(segment + 10, InternetChecksum::finish(InternetChecksum::add({segment, ipHeader})));
    } else {
      storeBigEndian16(segment + 4, static_cast<std::uint16_t>(total - 40));  // RFC 8200 §3
    }
    std::uint8_t* transport = segment + ipHeader;
    const std::size_t transportLength = total - ipHeader;
    std::size_t checksumField;
    if (tcp) {
      storeBigEndian32(transport + 4, static_cast<std::uint32_t>(firstSequence + offset));
      if (i + 1 < count) transport[13] &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
      if (i > 0) transport[13] &= static_cast<std::uint8_t>(~kTcpCwr);
      checksumField = kTcpChecksumOffset;
    } else {
      storeBigEndian16(transport + 4, static_cast<std::uint16_t>(transportLength));
      checksumField = kUdpChecksumOffset;
    }
    storeBigEndian16(transport + checksumField, 0);
    const std::uint64_t pseudo =
        InternetChecksum::pseudoHeader({source, addressLength}, {destination, addressLength}, protocol,
                                       static_cast<std::uint32_t>(transportLength));
    std::uint16_t checksum =
        InternetChecksum::finish(InternetChecksum::add({transport, transportLength}, pseudo));
    if (!tcp && checksum == 0) checksum = 0xffff;  // RFC 768: 0 means "no checksum"
    storeBigEndian16(transport + checksumField, checksum);
    lengths[i] = total;
  }
  return {SegmentStatus::Ok, count};
}

}  // namespace ikemesh::tun
