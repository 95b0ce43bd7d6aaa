// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <vector>

#include "GsoSegmenter.hpp"
#include "OffloadPackets.hpp"

using namespace ikemesh::tun;
using namespace offload_packets;

// TcpSpec{.field = ...} names only what a test is about; the rest keeps its default.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

constexpr std::size_t kSlot = 2048;

struct Output {
  std::vector<std::uint8_t> memory = std::vector<std::uint8_t>(64 * kSlot);
  std::vector<std::size_t> lengths = std::vector<std::size_t>(64);
  SegmentSlots slots(std::size_t count = 64) { return {memory.data(), kSlot, kSlot, count}; }
  std::vector<std::uint8_t> segment(std::size_t i) const {
    return {memory.begin() + static_cast<long>(i * kSlot),
            memory.begin() + static_cast<long>(i * kSlot + lengths[i])};
  }
};

VirtioNetHeader tcpGso(bool v6, std::uint16_t gsoSize, std::size_t ipHeader) {
  VirtioNetHeader h{};
  h.flags = VirtioNetHeader::kNeedsChecksum;
  h.gsoType = v6 ? VirtioNetHeader::kGsoTcpV6 : VirtioNetHeader::kGsoTcpV4;
  h.gsoSize = gsoSize;
  h.checksumStart = static_cast<std::uint16_t>(ipHeader);
  h.checksumOffset = 16;
  h.headerLength = static_cast<std::uint16_t>(ipHeader + 20);
  return h;
}

}  // namespace

TEST(GsoSegmenter, TcpV4SuperPacketBecomesSegmentsOfGsoSizeWithAShortLastOne) {
  auto super = tcpPacket({.sequence = 5000, .id = 0x1234, .payload = 3 * 1000 + 500});
  Output out;
  auto result = GsoSegmenter::split(tcpGso(false, 1000, 20), super, out.slots(), out.lengths);
  ASSERT_EQ(result.status, SegmentStatus::Ok);
  ASSERT_EQ(result.segments, 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    auto s = out.segment(i);
    const std::size_t payload = i < 3 ? 1000 : 500;
    EXPECT_EQ(s.size(), 40 + payload) << i;
    EXPECT_EQ(be16(&s[2]), s.size()) << "total length of " << i;
    EXPECT_EQ(be16(&s[4]), 0x1234 + i) << "identification of " << i;
    EXPECT_TRUE(ipv4HeaderChecksumValid(s)) << i;
    EXPECT_EQ(be32(&s[24]), 5000 + i * 1000) << "sequence of " << i;
    EXPECT_TRUE(transportChecksumValid(s, 20, 6)) << i;
    // The payload continues the stream where the previous segment stopped.
    auto whole = tcpPacket({.sequence = static_cast<std::uint32_t>(5000 + i * 1000), .payload = payload});
    EXPECT_TRUE(std::equal(s.begin() + 40, s.end(), whole.begin() + 40)) << i;
  }
}

TEST(GsoSegmenter, PayloadOfExactlyNSegmentsLeavesNoEmptyLastSegment) {
  auto super = tcpPacket({.payload = 2 * 1200});
  Output out;
  auto result = GsoSegmenter::split(tcpGso(false, 1200, 20), super, out.slots(), out.lengths);
  ASSERT_EQ(result.status, SegmentStatus::Ok);
  ASSERT_EQ(result.segments, 2u);
  EXPECT_EQ(out.lengths[1], 40u + 1200u);
}

TEST(GsoSegmenter, PshAndFinAreSetOnlyOnTheLastSegmentAndCwrOnlyOnTheFirst) {
  auto super = tcpPacket({.flags = 0x10 | 0x08 | 0x01 | 0x80, .payload = 2500});
  Output out;
  auto result = GsoSegmenter::split(tcpGso(false, 1000, 20), super, out.slots(), out.lengths);
  ASSERT_EQ(result.segments, 3u);
  EXPECT_EQ(out.segment(0)[33], 0x10 | 0x80);
  EXPECT_EQ(out.segment(1)[33], 0x10);
  EXPECT_EQ(out.segment(2)[33], 0x10 | 0x08 | 0x01);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(transportChecksumValid(out.segment(i), 20, 6)) << i;
}

TEST(GsoSegmenter, TcpV6WithTimestampOptionsKeepsTheOptionsInEverySegment) {
  auto super =
      tcpPacket({.v6 = true, .sequence = 0xfffffc00, .options = timestamps(11, 22), .payload = 2000});
  Output out;
  auto header = tcpGso(true, 1388, 40);
  header.headerLength = 40 + 32;
  auto result = GsoSegmenter::split(header, super, out.slots(), out.lengths);
  ASSERT_EQ(result.status, SegmentStatus::Ok);
  ASSERT_EQ(result.segments, 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    auto s = out.segment(i);
    EXPECT_EQ(be16(&s[4]), s.size() - 40) << "payload length of " << i;
    EXPECT_TRUE(std::equal(s.begin() + 60, s.begin() + 72, timestamps(11, 22).begin())) << i;
    EXPECT_TRUE(transportChecksumValid(s, 40, 6)) << i;
  }
  EXPECT_EQ(out.lengths[1], 72u + 2000u - 1388u);
  EXPECT_EQ(be32(&out.segment(1)[44]), 0xfffffc00u + 1388u);  // the sequence number wraps
}

TEST(GsoSegmenter, TheKernelsHeaderLengthIsNotTrusted) {
  auto super = tcpPacket({.options = timestamps(1, 2), .payload = 1500});
  auto header = tcpGso(false, 1000, 20);
  header.headerLength = 20;  // too short: the TCP header length in the packet counts
  Output out;
  auto result = GsoSegmenter::split(header, super, out.slots(), out.lengths);
  ASSERT_EQ(result.segments, 2u);
  EXPECT_EQ(out.lengths[0], 52u + 1000u);
  EXPECT_TRUE(transportChecksumValid(out.segment(1), 20, 6));
}

TEST(GsoSegmenter, UdpL4DatagramsGetTheirOwnLengthAndChecksum) {
  // A UDP "super-datagram": 8-octet header then 2500 octets of payload.
  std::vector<std::uint8_t> p(20 + 8 + 2500, 0);
  p[0] = 0x45, p[6] = 0x40, p[8] = 64, p[9] = 17;
  const std::uint8_t addresses[8] = {192, 0, 2, 1, 198, 51, 100, 2};
  std::copy(addresses, addresses + 8, p.begin() + 12);
  put16(&p[20], 4500), put16(&p[22], 4500);
  for (std::size_t i = 28; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i * 7);
  VirtioNetHeader h{};
  h.flags = VirtioNetHeader::kNeedsChecksum;
  h.gsoType = VirtioNetHeader::kGsoUdpL4;
  h.gsoSize = 1200;
  h.checksumStart = 20;
  h.checksumOffset = 6;
  Output out;
  auto result = GsoSegmenter::split(h, p, out.slots(), out.lengths);
  ASSERT_EQ(result.status, SegmentStatus::Ok);
  ASSERT_EQ(result.segments, 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = out.segment(i);
    const std::size_t payload = i < 2 ? 1200 : 100;
    EXPECT_EQ(s.size(), 28 + payload);
    EXPECT_EQ(be16(&s[24]), 8 + payload) << "UDP length of " << i;
    EXPECT_TRUE(ipv4HeaderChecksumValid(s));
    EXPECT_TRUE(transportChecksumValid(s, 20, 17)) << i;
    EXPECT_EQ(s[28], p[28 + i * 1200]) << i;
  }
}

TEST(GsoSegmenter, APartialChecksumWithoutGsoIsCompleted) {
  auto packet = tcpPacket({.payload = 333});
  // What the kernel leaves with CHECKSUM_PARTIAL: the folded pseudo-header sum in the field.
  auto pseudo = withPseudoHeader(packet, 20, 6);
  pseudo.resize(12);
  put16(&packet[36], onesComplementSum(pseudo));
  VirtioNetHeader h{};
  h.flags = VirtioNetHeader::kNeedsChecksum;
  h.checksumStart = 20;
  h.checksumOffset = 16;
  Output out;
  auto result = GsoSegmenter::split(h, packet, out.slots(), out.lengths);
  ASSERT_EQ(result.segments, 1u);
  EXPECT_TRUE(transportChecksumValid(out.segment(0), 20, 6));
}

TEST(GsoSegmenter, InconsistentHeadersAreRefused) {
  auto packet = tcpPacket({.payload = 3000});
  Output out;
  auto header = tcpGso(false, 1000, 20);
  header.checksumStart = 4000;
  EXPECT_EQ(GsoSegmenter::split(header, packet, out.slots(), out.lengths).status, SegmentStatus::Malformed);
  header = tcpGso(false, 0, 20);
  EXPECT_EQ(GsoSegmenter::split(header, packet, out.slots(), out.lengths).status, SegmentStatus::Malformed);
  header = tcpGso(true, 1000, 20);  // TCPV6 on an IPv4 packet
  EXPECT_EQ(GsoSegmenter::split(header, packet, out.slots(), out.lengths).status, SegmentStatus::Malformed);
  header = tcpGso(false, 1000, 20);
  header.checksumOffset = 6;
  EXPECT_EQ(GsoSegmenter::split(header, packet, out.slots(), out.lengths).status, SegmentStatus::Malformed);
  header.gsoType = VirtioNetHeader::kGsoUdp;  // UFO: never asked for
  EXPECT_EQ(GsoSegmenter::split(header, packet, out.slots(), out.lengths).status,
            SegmentStatus::UnsupportedGso);
  VirtioNetHeader none{};
  none.flags = VirtioNetHeader::kNeedsChecksum;
  none.checksumStart = 20;
  none.checksumOffset = 3020;
  auto small = tcpPacket({.payload = 10});
  EXPECT_EQ(GsoSegmenter::split(none, small, out.slots(), out.lengths).status, SegmentStatus::Malformed);
  EXPECT_EQ(GsoSegmenter::split(VirtioNetHeader{}, {}, out.slots(), out.lengths).status,
            SegmentStatus::Malformed);
}

TEST(GsoSegmenter, TooFewOrTooSmallSlotsAreReported) {
  auto packet = tcpPacket({.payload = 3000});
  Output out;
  EXPECT_EQ(GsoSegmenter::split(tcpGso(false, 1000, 20), packet, out.slots(2), out.lengths).status,
            SegmentStatus::TooManySegments);
  EXPECT_EQ(GsoSegmenter::split(tcpGso(false, 2040, 20), packet, out.slots(), out.lengths).status,
            SegmentStatus::SlotTooSmall);
}
