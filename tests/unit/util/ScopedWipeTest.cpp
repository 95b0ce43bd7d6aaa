// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <algorithm>

#include "util/ScopedWipe.hpp"

namespace ikemesh {
namespace {

bool allZero(const std::vector<std::uint8_t>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

TEST(SecureZero, ZeroesEveryOctetAndKeepsTheSize) {
  std::vector<std::uint8_t> key(48, 0xff);
  secureZero(key);
  EXPECT_EQ(key.size(), 48u);
  EXPECT_TRUE(allZero(key));
  std::vector<std::uint8_t> empty;
  secureZero(empty);  // nothing to do, and no call with a null pointer
  EXPECT_TRUE(empty.empty());
}

TEST(ScopedWipe, BufferIsIntactInsideTheScopeAndZeroAfterIt) {
  std::vector<std::uint8_t> skP(32, 0x42);
  {
    const ScopedWipe wipe(skP);
    EXPECT_EQ(skP, std::vector<std::uint8_t>(32, 0x42));
  }
  EXPECT_EQ(skP.size(), 32u);
  EXPECT_TRUE(allZero(skP));
}

TEST(ScopedWipe, BufferIsZeroAfterAnEarlyReturn) {
  std::vector<std::uint8_t> key(16, 0x17);
  auto use = [&](bool leaveEarly) {
    const ScopedWipe wipe(key);
    if (leaveEarly) return 1;
    return 2;
  };
  EXPECT_EQ(use(true), 1);
  EXPECT_TRUE(allZero(key));
}

}  // namespace
}  // namespace ikemesh
