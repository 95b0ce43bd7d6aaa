// SPDX-License-Identifier: GPL-2.0-or-later
// After the core hands a CHILD SA to its dataplane, the core's copy of the ESP keys is zero.
#include <gtest/gtest.h>

#include <algorithm>

#include "RecordingDataplane.hpp"
#include "ike/engine/SaHandover.hpp"

namespace ikemesh::ike {
namespace {

bool allZero(const std::vector<std::uint8_t>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

SaParams withKeys() {
  SaParams params;
  params.ref = {0x1234, *IpAddress::parse("192.0.2.1")};
  params.encryptionKey.assign(36, 0xa5);  // AES-256-GCM key and salt
  params.integrityKey.assign(32, 0x5a);
  return params;
}

TEST(SaHandover, DataplaneGetsTheKeysAndTheCoresCopyIsZeroAfterwards) {
  testkit::RecordingDataplane dataplane;
  auto params = withKeys();
  ASSERT_TRUE(handOverSa(dataplane, params));
  ASSERT_EQ(dataplane.installed.size(), 1u);
  EXPECT_EQ(dataplane.installed[0].encryptionKey, std::vector<std::uint8_t>(36, 0xa5));
  EXPECT_EQ(dataplane.installed[0].integrityKey, std::vector<std::uint8_t>(32, 0x5a));
  EXPECT_EQ(params.encryptionKey.size(), 36u);
  EXPECT_TRUE(allZero(params.encryptionKey));
  EXPECT_EQ(params.integrityKey.size(), 32u);
  EXPECT_TRUE(allZero(params.integrityKey));
}

TEST(SaHandover, KeysAreZeroAlsoWhenTheDataplaneRefusesTheSa) {
  testkit::RecordingDataplane dataplane;
  auto first = withKeys();
  ASSERT_TRUE(handOverSa(dataplane, first));
  auto again = withKeys();  // same SPI and destination: refused
  EXPECT_FALSE(handOverSa(dataplane, again));
  EXPECT_TRUE(allZero(again.encryptionKey));
  EXPECT_TRUE(allZero(again.integrityKey));
}

}  // namespace
}  // namespace ikemesh::ike
