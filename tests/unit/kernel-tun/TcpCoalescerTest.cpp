// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "GsoSegmenter.hpp"
#include "OffloadPackets.hpp"
#include "TcpCoalescer.hpp"

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

std::vector<Written> flush(TcpCoalescer& coalescer) {
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

}  // namespace

TEST(TcpCoalescer, ConsecutiveSegmentsOfOneFlowBecomeOneGsoPacket) {
  auto packets = stream(5, 1000, {.options = timestamps(5, 6)});
  auto copies = packets;
  TcpCoalescer coalescer;
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

TEST(TcpCoalescer, Ipv6SegmentsCoalesceToo) {
  auto packets = stream(3, 1200, {.v6 = true});
  auto copies = packets;
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].header.gsoType, VirtioNetHeader::kGsoTcpV6);
  EXPECT_EQ(be16(&written[0].packet[4]), 20u + 3600u);
  expectSegmentsToBe(written[0], copies);
}

TEST(TcpCoalescer, AShorterSegmentEndsTheGroup) {
  auto packets = stream(2, 1000);
  packets.push_back(tcpPacket({.sequence = 3000, .id = 0x102, .payload = 400}));
  packets.push_back(tcpPacket({.sequence = 3400, .id = 0x103, .payload = 400}));
  auto copies = packets;
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  expectSegmentsToBe(written[0], {copies[0], copies[1], copies[2]});
  EXPECT_EQ(written[1].packet, copies[3]);
  EXPECT_EQ(written[1].header.gsoType, VirtioNetHeader::kGsoNone);
}

TEST(TcpCoalescer, PshJoinsAsTheLastSegmentAndIsCarriedByTheGroup) {
  auto packets = stream(3, 1000);
  packets[2] = tcpPacket({.sequence = 3000, .flags = 0x18, .id = 0x102, .payload = 1000});
  packets.push_back(tcpPacket({.sequence = 4000, .id = 0x103, .payload = 1000}));
  auto copies = packets;
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet[33], 0x18);
  expectSegmentsToBe(written[0], {copies[0], copies[1], copies[2]});
  EXPECT_EQ(written[1].packet, copies[3]);
}

TEST(TcpCoalescer, ASequenceGapStartsANewGroup) {
  auto packets = stream(2, 1000);
  packets.push_back(tcpPacket({.sequence = 5000, .payload = 1000}));
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet.size(), 40u + 2000u);
  EXPECT_EQ(written[1].packet.size(), 40u + 1000u);
}

TEST(TcpCoalescer, ACorruptChecksumIsWrittenAloneAsItCame) {
  auto packets = stream(3, 1000);
  packets[1][100] ^= 0x01;  // payload bit flip: the TCP checksum no longer verifies
  auto copies = packets;
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(written[i].packet, copies[i]) << i;
    EXPECT_EQ(written[i].header.flags, 0) << i;  // the kernel verifies (and drops) it
  }
}

TEST(TcpCoalescer, FinIsNotCoalescedAndKeepsItsPlaceInTheFlow) {
  auto packets = stream(2, 1000);
  packets.push_back(tcpPacket({.sequence = 3000, .flags = 0x11, .payload = 0}));
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].packet.size(), 40u + 2000u);
  EXPECT_EQ(written[1].packet[33], 0x11);
}

TEST(TcpCoalescer, APacketThatCannotJoinClosesItsFlowsGroup) {
  // An IPv4 packet with a different TTL cannot join; the segment after it must not jump
  // ahead of it into the first group.
  auto packets = stream(3, 1000);
  packets[1][8] = 63;
  packets[1][10] = packets[1][11] = 0;
  put16(&packets[1][10],
        static_cast<std::uint16_t>(~onesComplementSum({packets[1].begin(), packets[1].begin() + 20})));
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 3u);
  EXPECT_EQ(be32(&written[2].packet[24]), 3000u);
}

TEST(TcpCoalescer, DifferentTimestampsOrAcksDoNotCoalesce) {
  std::vector<std::vector<std::uint8_t>> packets{
      tcpPacket({.sequence = 1000, .options = timestamps(1, 1), .payload = 500}),
      tcpPacket({.sequence = 1500, .options = timestamps(2, 1), .payload = 500}),
      tcpPacket({.sequence = 2000, .ack = 99, .options = timestamps(2, 1), .payload = 500})};
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  EXPECT_EQ(flush(coalescer).size(), 3u);
}

TEST(TcpCoalescer, InterleavedFlowsCoalesceSeparately) {
  auto a = stream(3, 800, {.sourcePort = 1111});
  auto b = stream(3, 800, {.sequence = 90000, .sourcePort = 2222});
  auto copiesA = a, copiesB = b;
  TcpCoalescer coalescer;
  for (std::size_t i = 0; i < 3; ++i) {
    coalescer.add(a[i]);
    coalescer.add(b[i]);
  }
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  expectSegmentsToBe(written[0], copiesA);
  expectSegmentsToBe(written[1], copiesB);
}

TEST(TcpCoalescer, TheGroupStopsBelow64KiB) {
  auto packets = stream(60, 1400);
  TcpCoalescer coalescer;
  for (auto& p : packets) coalescer.add(p);
  auto written = flush(coalescer);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_LE(written[0].packet.size(), 65535u);
  EXPECT_EQ(written[0].packet.size() + written[1].packet.size() - 40, 40u + 60u * 1400u);
}

TEST(TcpCoalescer, NonTcpPacketsAndFullnessAreHandled) {
  std::vector<std::uint8_t> icmp(84, 0);
  icmp[0] = 0x45, icmp[9] = 1;
  TcpCoalescer coalescer(2);
  EXPECT_TRUE(coalescer.add(icmp));
  EXPECT_TRUE(coalescer.add(icmp));
  EXPECT_TRUE(coalescer.full());
  EXPECT_FALSE(coalescer.add(icmp));
  auto written = flush(coalescer);
  EXPECT_EQ(written.size(), 2u);
  EXPECT_TRUE(coalescer.empty());
}
