// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes kernel-tun's offload parsing: GroCoalescer, which reads decrypted packets a peer sent
// (authentic, but the peer is not trusted), and GsoSegmenter, which reads the TUN device (the
// kernel's, but every offset is still checked). Input:
//   octet 0: bit 0 picks GsoSegmenter (else GroCoalescer); bit 1 makes the coalescer's
//            packets consistent first (IPv4 total length, IPv4 and TCP or UDP checksums, UDP
//            length), so that the fuzzer reaches the coalescing code rather than stopping at a
//            bad checksum; bit 2 gives the coalescer USO (it joins UDP datagrams too) and makes
//            the consistent packets UDP instead of TCP;
//   GsoSegmenter: a 10-octet virtio_net_hdr, then the packet;
//   GroCoalescer: packets, each a 2-octet big-endian length and that many octets.
// Each coalescer output is checked: a coalesced packet is cut again by GsoSegmenter, as the
// kernel would, into as many segments as packets went in, each with valid IP and transport
// checksums;
// every packet added is written exactly once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "GroCoalescer.hpp"
#include "GsoSegmenter.hpp"
#include "InternetChecksum.hpp"

using namespace ikemesh::tun;

namespace {

bool checksumValid(const std::vector<std::uint8_t>& p, std::size_t ipHeader, std::uint8_t protocol) {
  const bool v4 = ipHeader == 20;
  const std::uint8_t* source = p.data() + (v4 ? 12 : 8);
  const std::size_t length = v4 ? 4 : 16;
  const std::uint64_t pseudo = InternetChecksum::pseudoHeader(
      {source, length}, {source + length, length}, protocol, static_cast<std::uint32_t>(p.size() - ipHeader));
  if (v4 && InternetChecksum::fold(InternetChecksum::add({p.data(), 20})) != 0xffff) return false;
  return InternetChecksum::fold(InternetChecksum::add({p.data() + ipHeader, p.size() - ipHeader}, pseudo)) ==
         0xffff;
}

/// Sets the IPv4 total length and the checksums of an IPv4 (IHL 5) or IPv6 TCP packet, or
/// with `udp` makes it a UDP datagram with its length and a checksum.
void makeConsistent(std::vector<std::uint8_t>& p, bool udp) {
  const std::uint8_t protocol = udp ? 17 : 6;
  std::size_t ipHeader = 0;
  if (p.size() >= 40 && p[0] == 0x45) {
    storeBigEndian16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    p[9] = protocol;
    storeBigEndian16(p.data() + 10, 0);
    storeBigEndian16(p.data() + 10, InternetChecksum::finish(InternetChecksum::add({p.data(), 20})));
    ipHeader = 20;
  } else if (p.size() >= 60 && p[0] >> 4 == 6) {
    storeBigEndian16(p.data() + 4, static_cast<std::uint16_t>(p.size() - 40));
    p[6] = protocol;
    ipHeader = 40;
  } else {
    return;
  }
  const bool v4 = ipHeader == 20;
  const std::uint8_t* source = p.data() + (v4 ? 12 : 8);
  const std::size_t length = v4 ? 4 : 16;
  const std::size_t field = ipHeader + (udp ? 6 : 16);
  if (udp) storeBigEndian16(p.data() + ipHeader + 4, static_cast<std::uint16_t>(p.size() - ipHeader));
  storeBigEndian16(p.data() + field, 0);
  const std::uint64_t pseudo = InternetChecksum::pseudoHeader(
      {source, length}, {source + length, length}, protocol, static_cast<std::uint32_t>(p.size() - ipHeader));
  std::uint16_t checksum =
      InternetChecksum::finish(InternetChecksum::add({p.data() + ipHeader, p.size() - ipHeader}, pseudo));
  if (udp && checksum == 0) checksum = 0xffff;  // RFC 768: 0 means none
  storeBigEndian16(p.data() + field, checksum);
}

void fuzzSegmenter(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(VirtioNetHeader)) return;
  VirtioNetHeader header;
  std::memcpy(&header, data, sizeof header);
  std::vector<std::uint8_t> packet(data + sizeof header, data + size);  // exact size: ASan sees overreads
  constexpr std::size_t kSlot = 1500, kSlots = 48;
  std::vector<std::uint8_t> slots(kSlot * kSlots);
  std::vector<std::size_t> lengths(kSlots);
  auto result = GsoSegmenter::split(header, packet, {slots.data(), kSlot, kSlot, kSlots}, lengths);
  if (result.status != SegmentStatus::Ok) return;
  if (result.segments == 0 || result.segments > kSlots) std::abort();
  for (std::size_t i = 0; i < result.segments; ++i)
    if (lengths[i] > kSlot) std::abort();
}

void fuzzCoalescer(const std::uint8_t* data, std::size_t size, bool consistent, bool udp) {
  std::vector<std::vector<std::uint8_t>> packets;
  while (size >= 2 && packets.size() < 256) {
    const std::size_t length = std::min<std::size_t>(loadBigEndian16(data), size - 2);
    packets.emplace_back(data + 2, data + 2 + length);
    if (consistent) makeConsistent(packets.back(), udp);
    data += 2 + length;
    size -= 2 + length;
  }
  GroCoalescer coalescer(64, udp);
  std::size_t added = 0;
  std::size_t written = 0;
  auto check = [&](const iovec* vectors, int count) {
    if (count < 2 || vectors[0].iov_len != sizeof(VirtioNetHeader)) std::abort();
    VirtioNetHeader header;
    std::memcpy(&header, vectors[0].iov_base, sizeof header);
    std::vector<std::uint8_t> packet;
    for (int i = 1; i < count; ++i) {
      const auto* piece = static_cast<const std::uint8_t*>(vectors[i].iov_base);
      packet.insert(packet.end(), piece, piece + vectors[i].iov_len);
    }
    if (header.gsoType == VirtioNetHeader::kGsoNone) {
      if (count != 2 || header.flags != 0) std::abort();
      written += 1;
      return;
    }
    if (packet.size() > 65535) std::abort();
    constexpr std::size_t kSlot = 65536 / 2, kSlots = 64;
    std::vector<std::uint8_t> slots(kSlot * kSlots);
    std::vector<std::size_t> lengths(kSlots);
    auto result = GsoSegmenter::split(header, packet, {slots.data(), kSlot, kSlot, kSlots}, lengths);
    if (result.status != SegmentStatus::Ok || result.segments != static_cast<std::size_t>(count - 1))
      std::abort();
    for (std::size_t i = 0; i < result.segments; ++i) {
      std::vector<std::uint8_t> segment(slots.begin() + static_cast<long>(i * kSlot),
                                        slots.begin() + static_cast<long>(i * kSlot + lengths[i]));
      const std::uint8_t protocol = header.gsoType == VirtioNetHeader::kGsoUdpL4 ? 17 : 6;
      if (!checksumValid(segment, header.checksumStart, protocol)) std::abort();
    }
    written += result.segments;
  };
  for (auto& packet : packets) {
    if (coalescer.full()) coalescer.flush(check);
    if (coalescer.add(packet)) ++added;
  }
  coalescer.flush(check);
  if (written != added) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1)
    fuzzSegmenter(data + 1, size - 1);
  else
    fuzzCoalescer(data + 1, size - 1, (data[0] & 2) != 0, (data[0] & 4) != 0);
  return 0;
}
