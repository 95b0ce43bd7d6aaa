// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "GroCoalescer.hpp"
#include "GsoSegmenter.hpp"
#include "OffloadPackets.hpp"

using namespace ikemesh::tun;
using namespace offload_packets;

// TcpSpec{.field = ...} names only what a test is about; the rest keeps its default.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

/// One output of the coalescer: its virtio header and the packet the iovecs spell.
struct Written {
  VirtioNetHeader header{};
  std::vector<std::uint8_t> packet;
};

std::vector<Written> flush(GroCoalescer& coalescer) {
  std::vector<Written> written;
  coalescer.flush([&](const iovec* vectors, int count) {
    Written w;
    EXPECT_EQ(vectors[0].iov_len, sizeof(VirtioNetHeader));
    std::memcpy(&w.header, vectors[0].iov_base, sizeof w.header);
    for (int i = 1; i < count; ++i) {
      auto* data = static_cast<const std::uint8_t*>(vectors[i].iov_base);
      w.packet.insert(w.packet.end(), data, data + vectors[i].iov_len);
    }
    written.push_back(std::move(w));
  });
  return written;
}

/// Segments `n` consecutive packets of one flow, `payload` octets each, starting at `sequence`.
std::vector<std::vector<std::uint8_t>> stream(std::size_t n, std::size_t payload, TcpSpec spec = {}) {
  std::vector<std::vector<std::uint8_t>> packets;
  for (std::size_t i = 0; i < n; ++i) {
    TcpSpec s = spec;
    s.sequence = spec.sequence + static_cast<std::uint32_t>(i * payload);
    s.id = static_cast<std::uint16_t>(spec.id + i);
    s.payload = payload;
    packets.push_back(tcpPacket(s));
  }
  return packets;
}

/// Splits a coalesced packet as the kernel's GSO would and compares with the originals.
void expectSegmentsToBe(const Written& w, const std::vector<std::vector<std::uint8_t>>& originals) {
  std::vector<std::uint8_t> slots(64 * 2048);
  std::vector<std::size_t> lengths(64);
  std::vector<std::uint8_t> packet = w.packet;
  auto result = GsoSegmenter::split(w.header, packet, {slots.data(), 2048, 2048, 64}, lengths);
  ASSERT_EQ(result.status, SegmentStatus::Ok);
  ASSERT_EQ(result.segments, originals.size());
  for (std::size_t i = 0; i < originals.size(); ++i) {
    std::vector<std::uint8_t> segment(slots.begin() + static_cast<long>(i * 2048),
                                      slots.begin() + static_cast<long>(i * 2048 + lengths[i]));
    EXPECT_EQ(segment, originals[i]) << "segment " << i;
  }
}

/// `n` datagrams of one flow, `payload` octets each, with consecutive IPv4 IDs from `spec.id`
/// (what the kernel's segmentation gives them back).
std::vector<std::vector<std::uint8_t>> datagrams(std::size_t n, std::size_t payload, UdpSpec spec = {}) {
  std::vector<std::vector<std::uint8_t>> packets;
  for (std::size_t i = 0; i < n; ++i) {
    UdpSpec s = spec;
    s.id = static_cast<std::uint16_t>(spec.id + i);
    s.payload = payload;
    s.payloadSeed = static_cast<std::uint8_t>(spec.payloadSeed + i);
    packets.push_back(udpPacket(s));
  }
  return packets;
}

/// How many outputs of `written` are one packet as it came (no GSO).
std::size_t alone(const std::vector<Written>& written) {
  std::size_t n = 0;
  for (const Written& w : written) n += w.header.gsoType == VirtioNetHeader::kGsoNone ? 1 : 0;
  return n;
}

}  // namespace

TEST(GroCoalescer, ConsecutiveSegmentsOfOneFlowBecomeOneGsoPacket) {
  auto packets = stream(5, 1000, {.options = timestamps(5, 6)});
  auto copies = packets;
  GroCoalescer coalescer;
  for (auto& p : packets) ASSERT_TRUE(coalescer.add(p));
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 1u);
  const Written& w = written[0];
  EXPECT_EQ(w.header.gsoType, VirtioNetHeader::kGsoTcpV4);
  EXPECT_EQ(w.header.flags, VirtioNetHeader::kNeedsChecksum);
  EXPECT_EQ(w.header.gsoSize, 1000);
  EXPECT_EQ(w.header.headerLength, 52);
  EXPECT_EQ(w.header.checksumStart, 20);
  EXPECT_EQ(w.header.checksumOffset, 16);
  EXPECT_EQ(w.packet.size(), 52u + 5000u);
  EXPECT_EQ(be16(&w.packet[2]), w.packet.size());
  EXPECT_TRUE(ipv4HeaderChecksumValid(w.packet));
  // The partial checksum is the folded pseudo-header sum over the whole TCP length.
  auto pseudo = withPseudoHeader(w.packet, 20, 6);
  pseudo.resize(12);
  EXPECT_EQ(be16(&w.packet[36]), onesComplementSum(pseudo));
  expectSegmentsToBe(w, copies);
  EXPECT_EQ(coalescer.coalesced(), 5u);
}

TEST(GroCoalescer, Ipv6SegmentsCoalesceToo) {
  auto packets = stream(3, 1200, {.v6 = true});
  auto copies = packets;
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].header.gsoType, VirtioNetHeader::kGsoTcpV6);
  EXPECT_EQ(be16(&written[0].packet[4]), 20u + 3600u);
  expectSegmentsToBe(written[0], copies);
}

TEST(GroCoalescer, AShorterSegmentEndsTheGroup) {
  auto packets = stream(2, 1000);
  packets.push_back(tcpPacket({.sequence = 3000, .id = 0x102, .payload = 400}));
  packets.push_back(tcpPacket({.sequence = 3400, .id = 0x103, .payload = 400}));
  auto copies = packets;
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  expectSegmentsToBe(written[0], {copies[0], copies[1], copies[2]});
  EXPECT_EQ(written[1].packet, copies[3]);
  EXPECT_EQ(written[1].header.gsoType, VirtioNetHeader::kGsoNone);
}

TEST(GroCoalescer, PshJoinsAsTheLastSegmentAndIsCarriedByTheGroup) {
  auto packets = stream(3, 1000);
  packets[2] = tcpPacket({.sequence = 3000, .flags = 0x18, .id = 0x102, .payload = 1000});
  packets.push_back(tcpPacket({.sequence = 4000, .id = 0x103, .payload = 1000}));
  auto copies = packets;
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet[33], 0x18);
  expectSegmentsToBe(written[0], {copies[0], copies[1], copies[2]});
  EXPECT_EQ(written[1].packet, copies[3]);
}

TEST(GroCoalescer, ASequenceGapStartsANewGroup) {
  auto packets = stream(2, 1000);
  packets.push_back(tcpPacket({.sequence = 5000, .payload = 1000}));
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet.size(), 40u + 2000u);
  EXPECT_EQ(written[1].packet.size(), 40u + 1000u);
}

TEST(GroCoalescer, ACorruptChecksumIsWrittenAloneAsItCame) {
  auto packets = stream(3, 1000);
  packets[1][100] ^= 0x01;  // payload bit flip: the TCP checksum no longer verifies
  auto copies = packets;
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(written[i].packet, copies[i]) << i;
    EXPECT_EQ(written[i].header.flags, 0) << i;  // the kernel verifies (and drops) it
  }
}

TEST(GroCoalescer, FinIsNotCoalescedAndKeepsItsPlaceInTheFlow) {
  auto packets = stream(2, 1000);
  packets.push_back(tcpPacket({.sequence = 3000, .flags = 0x11, .payload = 0}));
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet.size(), 40u + 2000u);
  EXPECT_EQ(written[1].packet[33], 0x11);
}

TEST(GroCoalescer, APacketThatCannotJoinClosesItsFlowsGroup) {
  // An IPv4 packet with a different TTL cannot join; the segment after it must not jump
  // ahead of it into the first group.
  auto packets = stream(3, 1000);
  packets[1][8] = 63;
  packets[1][10] = packets[1][11] = 0;
  put16(&packets[1][10],
        static_cast<std::uint16_t>(~onesComplementSum({packets[1].begin(), packets[1].begin() + 20})));
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 3u);
  EXPECT_EQ(be32(&written[2].packet[24]), 3000u);
}

TEST(GroCoalescer, DifferentTimestampsOrAcksDoNotCoalesce) {
  std::vector<std::vector<std::uint8_t>> packets{
      tcpPacket({.sequence = 1000, .options = timestamps(1, 1), .payload = 500}),
      tcpPacket({.sequence = 1500, .options = timestamps(2, 1), .payload = 500}),
      tcpPacket({.sequence = 2000, .ack = 99, .options = timestamps(2, 1), .payload = 500})};
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  EXPECT_EQ(flush(coalescer).size(), 3u);
}

TEST(GroCoalescer, InterleavedFlowsCoalesceSeparately) {
  auto a = stream(3, 800, {.sourcePort = 1111});
  auto b = stream(3, 800, {.sequence = 90000, .sourcePort = 2222});
  auto copiesA = a, copiesB = b;
  GroCoalescer coalescer;
  for (std::size_t i = 0; i < 3; ++i) {
    coalescer.add(a[i]);
    coalescer.add(b[i]);
  }
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  expectSegmentsToBe(written[0], copiesA);
  expectSegmentsToBe(written[1], copiesB);
}

TEST(GroCoalescer, TheGroupStopsBelow64KiB) {
  auto packets = stream(60, 1400);
  GroCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_LE(written[0].packet.size(), 65535u);
  EXPECT_EQ(written[0].packet.size() + written[1].packet.size() - 40, 40u + 60u * 1400u);
}

TEST(GroCoalescer, NonTcpPacketsAndFullnessAreHandled) {
  std::vector<std::uint8_t> icmp(84, 0);
  icmp[0] = 0x45, icmp[9] = 1;
  GroCoalescer coalescer(2);
  EXPECT_TRUE(coalescer.add(icmp));
  EXPECT_TRUE(coalescer.add(icmp));
  EXPECT_TRUE(coalescer.full());
  EXPECT_FALSE(coalescer.add(icmp));
  auto written = flush(coalescer);
  EXPECT_EQ(written.size(), 2u);
  EXPECT_TRUE(coalescer.empty());
}

TEST(GroCoalescer, UdpDatagramsOfOneFlowBecomeOneUsoPacket) {
  auto packets = datagrams(5, 1000);
  auto copies = packets;
  GroCoalescer coalescer(2048, true);
  for (auto& p : packets) ASSERT_TRUE(coalescer.add(p));
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 1u);
  const Written& w = written[0];
  EXPECT_EQ(w.header.gsoType, VirtioNetHeader::kGsoUdpL4);
  EXPECT_EQ(w.header.flags, VirtioNetHeader::kNeedsChecksum);
  EXPECT_EQ(w.header.gsoSize, 1000);
  EXPECT_EQ(w.header.headerLength, 28);
  EXPECT_EQ(w.header.checksumStart, 20);
  EXPECT_EQ(w.header.checksumOffset, 6);
  ASSERT_EQ(w.packet.size(), 28u + 5 * 1000);
  EXPECT_EQ(be16(&w.packet[2]), 28 + 5 * 1000);  // IPv4 total length
  EXPECT_EQ(be16(&w.packet[24]), 8 + 5 * 1000);  // UDP length: the whole group, as UDP_SEGMENT has it
  EXPECT_TRUE(ipv4HeaderChecksumValid(w.packet));
  // The partial checksum is the folded pseudo-header sum over that whole length: the kernel
  // swaps the length for each segment's own before it adds the segment.
  auto pseudo = withPseudoHeader(w.packet, 20, 17);
  pseudo.resize(12);
  EXPECT_EQ(be16(&w.packet[26]), onesComplementSum(pseudo));
  EXPECT_EQ(coalescer.coalesced(), 5u);
  expectSegmentsToBe(w, copies);
}

TEST(GroCoalescer, Ipv6UdpDatagramsCoalesceToo) {
  auto packets = datagrams(3, 1200, {.v6 = true});
  auto copies = packets;
  GroCoalescer coalescer(2048, true);
  for (auto& p : packets) ASSERT_TRUE(coalescer.add(p));
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].header.gsoType, VirtioNetHeader::kGsoUdpL4);
  EXPECT_EQ(written[0].header.checksumStart, 40);
  EXPECT_EQ(be16(&written[0].packet[4]), 8 + 3 * 1200);  // payload length
  auto pseudo = withPseudoHeader(written[0].packet, 40, 17);
  pseudo.resize(40);
  EXPECT_EQ(be16(&written[0].packet[46]), onesComplementSum(pseudo));
  expectSegmentsToBe(written[0], copies);
}

TEST(GroCoalescer, WithoutUsoUdpIsWrittenAsItCame) {
  auto packets = datagrams(4, 1000);
  auto copies = packets;
  GroCoalescer coalescer;  // the device did not take USO
  for (auto& p : packets) ASSERT_TRUE(coalescer.add(p));
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(alone(written), 4u);
  for (std::size_t i = 0; i < written.size(); ++i) EXPECT_EQ(written[i].packet, copies[i]);
}

TEST(GroCoalescer, AShorterDatagramEndsItsUdpGroup) {
  auto packets = datagrams(2, 1000);
  auto shorter = datagrams(1, 400, {.id = 0x202, .payloadSeed = 2});
  auto after = datagrams(2, 1000, {.id = 0x203, .payloadSeed = 3});
  GroCoalescer coalescer(2048, true);
  for (auto& p : packets) ASSERT_TRUE(coalescer.add(p));
  ASSERT_TRUE(coalescer.add(shorter[0]));
  for (auto& p : after) ASSERT_TRUE(coalescer.add(p));
  auto first = packets;
  first.push_back(shorter[0]);
  auto second = after;
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet.size(), 28u + 2400);
  expectSegmentsToBe(written[0], first);
  expectSegmentsToBe(written[1], second);
}

TEST(GroCoalescer, UdpWithoutOrWithABadChecksumIsWrittenAloneAndClosesTheGroup) {
  auto packets = datagrams(2, 500);
  auto none = udpPacket({.id = 0x202, .payload = 500, .noChecksum = true});
  auto corrupt = udpPacket({.id = 0x203, .payload = 500});
  corrupt.back() ^= 0x01;
  auto later = datagrams(1, 500, {.id = 0x204});
  const auto noneCopy = none;
  const auto corruptCopy = corrupt;
  GroCoalescer coalescer(2048, true);
  for (auto& p : packets) ASSERT_TRUE(coalescer.add(p));
  ASSERT_TRUE(coalescer.add(none));
  ASSERT_TRUE(coalescer.add(corrupt));
  ASSERT_TRUE(coalescer.add(later[0]));
  auto written = flush(coalescer);
  // The group of two, then the two alone, then the last one (its group was closed).
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written[0].header.gsoType, VirtioNetHeader::kGsoUdpL4);
  EXPECT_EQ(written[1].packet, noneCopy);
  EXPECT_EQ(written[2].packet, corruptCopy);
  EXPECT_EQ(written[3].header.gsoType, VirtioNetHeader::kGsoNone);
}

TEST(GroCoalescer, UdpFlowsAndIpFieldsKeepTheirGroupsApart) {
  GroCoalescer coalescer(2048, true);
  auto a = datagrams(2, 800);
  auto b = datagrams(2, 800, {.id = 0x300, .sourcePort = 40001});
  auto ttl = udpPacket({.id = 0x202, .ttl = 63, .payload = 800});
  // A TCP segment with the same addresses and ports is another flow.
  auto tcp = tcpPacket({.payload = 800});
  std::vector<std::vector<std::uint8_t>*> order{&a[0], &b[0], &tcp, &a[1], &b[1], &ttl};
  for (auto* p : order) ASSERT_TRUE(coalescer.add(*p));
  auto written = flush(coalescer);
  // a[0..1] and b[0..1] coalesce around the TCP segment; the other TTL starts a group of its own.
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written[0].header.gsoType, VirtioNetHeader::kGsoUdpL4);
  EXPECT_EQ(written[1].header.gsoType, VirtioNetHeader::kGsoUdpL4);
  EXPECT_EQ(written[2].header.gsoType, VirtioNetHeader::kGsoNone);  // the TCP segment, alone
  EXPECT_EQ(written[3].header.gsoType, VirtioNetHeader::kGsoNone);  // the TTL 63 datagram
  EXPECT_EQ(written[0].packet.size(), 28u + 1600);
  EXPECT_EQ(written[1].packet.size(), 28u + 1600);
}
