// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

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
