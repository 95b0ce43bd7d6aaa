// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <memory>

#include <ikemesh/result.hpp>

using namespace ikemesh;

namespace {
Result<int> half(int n) {
  if (n % 2) return fail("odd: " + std::to_string(n));
  return n / 2;
}
}  // namespace

TEST(Result, HoldsAValue) {
  auto r = half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
}

TEST(Result, HoldsAnErrorWithItsMessage) {
  auto r = half(7);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "odd: 7");
}

TEST(Result, MovesOnlyValuesOut) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(3));
  auto owned = std::move(r).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 3);
}

TEST(Result, VoidSuccessAndFailure) {
  Result<void> good = success();
  Result<void> bad = fail("nope");
  EXPECT_TRUE(good.ok());
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "nope");
}
