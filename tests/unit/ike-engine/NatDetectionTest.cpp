// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7296 §2.23: the NAT_DETECTION_*_IP data a peer recomputes, and the digest that matches
// retransmitted requests. Expected values from Python's hashlib.
#include <gtest/gtest.h>

#include "../ike-crypto/TestBytes.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "ike/engine/NatDetection.hpp"

namespace ikemesh::ike {
namespace {

using test::bytesOf;
using test::toHex;

TEST(NatDetection, HashIsSha1OfBothSpisTheAddressAndThePort) {
  const Endpoint endpoint{*IpAddress::parse("192.0.2.1"), 500};
  EXPECT_EQ(toHex(natDetectionHash(0x0123456789abcdef, 0xfedcba9876543210, endpoint)),
            "b43b59394bf8bc930246a8f80b6fddf05c58d9bf");
}

TEST(NatDetection, HashOfTheFirstRequestHasAZeroResponderSpiAndTakesIpv6) {
  const Endpoint endpoint{*IpAddress::parse("2001:db8::1"), 4500};
  EXPECT_EQ(toHex(natDetectionHash(0x0123456789abcdef, 0, endpoint)),
            "3171550555febfcaa96bf57ef38afe1449b1b00f");
}

TEST(RequestDigest, IsSha256OfTheWholeDatagram) {
  EXPECT_EQ(toHex(requestDigest(bytesOf("IKE_SA_INIT request"))),
            "0d25a26b5726ff7021ca28c25be95807a57bd7490a9d3d321d20b150941afe18");
}

}  // namespace
}  // namespace ikemesh::ike
