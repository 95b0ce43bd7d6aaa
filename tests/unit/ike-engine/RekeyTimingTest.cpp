// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <set>

#include "ike/engine/RekeyTiming.hpp"

using namespace std::chrono;
using ikemesh::ike::rekeyAfter;

TEST(RekeyTiming, WithoutFuzzRekeysOneMarginBeforeTheEnd) {
  EXPECT_EQ(rekeyAfter(hours(8), minutes(9), 0, 0.7), hours(8) - minutes(9));
}

TEST(RekeyTiming, FuzzSpreadsRekeysOverTheFuzzedMargin) {
  // Libreswan: lifetime - (margin + random(margin * fuzz%)).
  EXPECT_EQ(rekeyAfter(hours(1), minutes(9), 100, 0.0), minutes(51));
  EXPECT_EQ(rekeyAfter(hours(1), minutes(9), 100, 1.0), minutes(42));
  EXPECT_EQ(rekeyAfter(hours(1), minutes(9), 50, 1.0), minutes(46) + seconds(30));
}

TEST(RekeyTiming, RandomDrawsStayInsideTheWindowAndDiffer) {
  std::set<milliseconds::rep> seen;
  for (int i = 0; i < 200; ++i) {
    auto at = rekeyAfter(hours(8), minutes(9), 100);
    EXPECT_GE(at, hours(8) - minutes(18));
    EXPECT_LE(at, hours(8) - minutes(9));
    seen.insert(at.count());
  }
  EXPECT_GT(seen.size(), 150u) << "rekey times should be spread, not fixed";
}

TEST(RekeyTiming, AMarginLongerThanTheLifetimeShrinksToATenth) {
  EXPECT_EQ(rekeyAfter(seconds(60), minutes(9), 0, 0.0), seconds(54));
  EXPECT_EQ(rekeyAfter(seconds(60), minutes(9), 100, 1.0), seconds(48));
}

TEST(RekeyTiming, TheEffectiveMarginIsTheOneRekeyAfterUses) {
  using ikemesh::ike::effectiveRekeyMargin;
  EXPECT_EQ(effectiveRekeyMargin(hours(8), minutes(9), 100), minutes(9));
  EXPECT_EQ(effectiveRekeyMargin(seconds(60), minutes(9), 0), seconds(6));
  EXPECT_EQ(effectiveRekeyMargin(seconds(4), seconds(2), 0), seconds(2));
  EXPECT_EQ(effectiveRekeyMargin(seconds(4), seconds(2), 100), milliseconds(400));
}
