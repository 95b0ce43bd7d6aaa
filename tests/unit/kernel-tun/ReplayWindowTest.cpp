// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "ReplayWindow.hpp"

using ikemesh::tun::ReplayWindow;

TEST(ReplayWindow, HoldsAtLeastTheRequestedSize) {
  EXPECT_GE(ReplayWindow(1024).size(), 1024u);
  EXPECT_GE(ReplayWindow(1).size(), 1u);
  EXPECT_EQ(ReplayWindow(0).size(), 0u);
}

TEST(ReplayWindow, SequenceZeroIsNeverValid) {
  ReplayWindow window(1024);
  EXPECT_FALSE(window.check(0));
}

TEST(ReplayWindow, DuplicateIsRefused) {
  ReplayWindow window(1024);
  ASSERT_TRUE(window.check(5));
  window.accept(5);
  EXPECT_FALSE(window.check(5));
  EXPECT_TRUE(window.check(4));
  EXPECT_TRUE(window.check(6));
}

TEST(ReplayWindow, ReorderedWithinTheWindowIsAccepted) {
  ReplayWindow window(1024);
  window.accept(2000);
  for (std::uint64_t s = 2000 - 1023; s < 2000; s += 7) {
    ASSERT_TRUE(window.check(s)) << s;
    window.accept(s);
    EXPECT_FALSE(window.check(s)) << s;
  }
}

TEST(ReplayWindow, OlderThanTheWindowIsRefused) {
  ReplayWindow window(1024);
  window.accept(100000);
  EXPECT_FALSE(window.check(100000 - window.size()));
  EXPECT_TRUE(window.check(100000 - window.size() + 1));
}

TEST(ReplayWindow, AJumpAheadForgetsTheOldBits) {
  ReplayWindow window(128);
  for (std::uint64_t s = 1; s <= 300; ++s) window.accept(s);
  window.accept(300 + 64 * 20);  // far beyond the ring: every block is cleared
  for (std::uint64_t s = 300 + 64 * 20 - window.size() + 1; s < 300 + 64 * 20; ++s)
    ASSERT_TRUE(window.check(s)) << s;
}

TEST(ReplayWindow, BitsOfAReusedBlockAreCleared) {
  ReplayWindow window(64);  // a ring of 2 blocks: 64 usable
  window.accept(10);
  window.accept(64 * 2 + 10);  // reuses block 0's slot
  EXPECT_TRUE(window.check(64 * 2 + 9));
  EXPECT_FALSE(window.check(64 * 2 + 10));
}

TEST(ReplayWindow, DisabledWindowAcceptsRepeats) {
  ReplayWindow window(0);
  window.accept(7);
  EXPECT_TRUE(window.check(7));
  EXPECT_TRUE(window.check(1));
}
