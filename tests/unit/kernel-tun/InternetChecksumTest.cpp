// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "InternetChecksum.hpp"
#include "OffloadPackets.hpp"

using namespace ikemesh::tun;

TEST(InternetChecksum, EqualsTheTextbookSumForEveryLengthAndAlignment) {
  std::vector<std::uint8_t> bytes(300);
  std::uint32_t state = 12345;
  for (auto& b : bytes) b = static_cast<std::uint8_t>((state = state * 1103515245 + 12345) >> 16);
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t length = 0; length + start <= bytes.size(); ++length) {
      std::vector<std::uint8_t> piece(bytes.begin() + static_cast<long>(start),
                                      bytes.begin() + static_cast<long>(start + length));
      ASSERT_EQ(InternetChecksum::fold(InternetChecksum::add(piece)),
                offload_packets::onesComplementSum(piece))
          << "start " << start << ", length " << length;
    }
  }
}

TEST(InternetChecksum, RfcExampleSumsToDdf2) {
  // RFC 1071 §3: the octets 00 01 f2 03 f4 f5 f6 f7 sum to dd f2.
  const std::vector<std::uint8_t> example{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum::fold(InternetChecksum::add(example)), 0xddf2);
  EXPECT_EQ(InternetChecksum::finish(InternetChecksum::add(example)), 0x220d);
}

TEST(InternetChecksum, WideAndPortableLoopsAgreeOnSegmentsOfEverySizeAndOffset) {
  // add() takes AVX2 from 64 octets on where the CPU has it; its sums must be the portable
  // loop's, for every length around its 64-octet steps, at every offset into a buffer (the
  // loads are unaligned), up to the largest IP packet, and when continuing a sum.
  std::vector<std::uint8_t> bytes(65535 + 64);
  std::uint32_t state = 777;
  for (auto& b : bytes) b = static_cast<std::uint8_t>((state = state * 1103515245 + 12345) >> 16);
  for (std::size_t offset = 0; offset < 33; ++offset) {
    for (std::size_t length = 0; length <= 300; ++length) {
      const std::span<const std::uint8_t> piece(bytes.data() + offset, length);
      ASSERT_EQ(InternetChecksum::add(piece, offset), InternetChecksum::addPortable(piece, offset))
          << "offset " << offset << ", length " << length;
    }
  }
  for (std::size_t length : {1399u, 1400u, 1448u, 9000u, 65471u, 65535u}) {
    const std::span<const std::uint8_t> piece(bytes.data() + 3, length);
    ASSERT_EQ(InternetChecksum::fold(InternetChecksum::add(piece)),
              offload_packets::onesComplementSum({piece.begin(), piece.end()}))
        << "length " << length;
  }
  // All ones is the sum that carries most: 65534 octets of 0xff sum to 0xffff, and one more
  // (padded to ff 00) to 0xff00.
  std::vector<std::uint8_t> ones(65534, 0xff);
  EXPECT_EQ(InternetChecksum::fold(InternetChecksum::add(ones)), 0xffff);
  ones.push_back(0xff);
  EXPECT_EQ(InternetChecksum::fold(InternetChecksum::add(ones)), 0xff00);
  EXPECT_EQ(InternetChecksum::add(ones), InternetChecksum::addPortable(ones));
}
