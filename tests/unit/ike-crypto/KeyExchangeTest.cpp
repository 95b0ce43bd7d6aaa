// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <thread>

#include "TestBytes.hpp"
#include "ike/crypto/KeyExchange.hpp"

namespace ikemesh::ike {
namespace {

using test::hex;
using test::toHex;

// RFC 5903 §8.1, 256-bit random ECP group.
const char* const kP256I = "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433";
const char* const kP256Gi =
    "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
    "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3";
const char* const kP256R = "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53";
const char* const kP256Gr =
    "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
    "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB";
const char* const kP256Girx = "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE";

// RFC 5903 §8.2, 384-bit random ECP group.
const char* const kP384I =
    "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 "
    "783AB194";
const char* const kP384Gi =
    "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE "
    "E95F41AA"
    "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 "
    "4573A81C";
const char* const kP384R =
    "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942 E0308312 916B8ED2 960E4BD5 "
    "5A7448FC";
const char* const kP384Gr =
    "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 "
    "774A3571"
    "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D "
    "B9E6386C";
const char* const kP384Girx =
    "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 "
    "70F59746";

// RFC 7748 §6.1, X25519.
const char* const kAlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const char* const kAlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const char* const kBobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const char* const kBobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const char* const kX25519Shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

// RFC 3526 §3 prime, for the out-of-range peer values.
const char* const kModp2048Prime =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 "
    "8E3404DD"
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 "
    "F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 "
    "FD24CF5F"
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 "
    "2E36CE3B"
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 "
    "98FA0510"
    "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

std::unique_ptr<KeyExchange> known(DhGroup group, const char* privateKey, const char* publicValue) {
  auto exchange = KeyExchange::createFromKnownKeyPairForTesting(group, hex(privateKey), hex(publicValue));
  EXPECT_TRUE(exchange.ok()) << exchange.error().message;
  return exchange.ok() ? std::move(*exchange) : nullptr;
}

std::unique_ptr<KeyExchange> fresh(DhGroup group) {
  auto exchange = KeyExchange::create(group);
  EXPECT_TRUE(exchange.ok()) << exchange.error().message;
  return exchange.ok() ? std::move(*exchange) : nullptr;
}

/// Both sides compute g^ir from the other's public value, and the two are equal.
::testing::AssertionResult agree(const KeyExchange& a, const KeyExchange& b) {
  auto secretA = a.sharedSecret(b.publicValue());
  auto secretB = b.sharedSecret(a.publicValue());
  if (!secretA.ok()) return ::testing::AssertionFailure() << secretA.error().message;
  if (!secretB.ok()) return ::testing::AssertionFailure() << secretB.error().message;
  if (!(*secretA == *secretB))
    return ::testing::AssertionFailure() << "the two sides computed different secrets";
  return ::testing::AssertionSuccess();
}

void expectRejected(const KeyExchange& exchange, const std::vector<std::uint8_t>& peer,
                    const std::string& reason) {
  auto secret = exchange.sharedSecret(peer);
  ASSERT_FALSE(secret.ok()) << "accepted a peer value that should fail with '" << reason << "'";
  EXPECT_NE(secret.error().message.find(reason), std::string::npos) << secret.error().message;
}

TEST(KeyExchangeEcp256, InitiatorComputesRfc5903SharedSecret) {
  auto initiator = known(DhGroup::Ecp256, kP256I, kP256Gi);
  ASSERT_TRUE(initiator);
  EXPECT_EQ(toHex(initiator->publicValue()), toHex(hex(kP256Gi)));  // x | y, 64 octets, no 0x04
  auto secret = initiator->sharedSecret(hex(kP256Gr));
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(toHex(*secret), toHex(hex(kP256Girx)));  // RFC 5903 §7: x coordinate only
}

TEST(KeyExchangeEcp256, ResponderComputesRfc5903SharedSecret) {
  auto responder = known(DhGroup::Ecp256, kP256R, kP256Gr);
  ASSERT_TRUE(responder);
  auto secret = responder->sharedSecret(hex(kP256Gi));
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(toHex(*secret), toHex(hex(kP256Girx)));
}

TEST(KeyExchangeEcp384, BothSidesComputeRfc5903SharedSecret) {
  auto initiator = known(DhGroup::Ecp384, kP384I, kP384Gi);
  auto responder = known(DhGroup::Ecp384, kP384R, kP384Gr);
  ASSERT_TRUE(initiator && responder);
  auto fromInitiator = initiator->sharedSecret(hex(kP384Gr));
  auto fromResponder = responder->sharedSecret(hex(kP384Gi));
  ASSERT_TRUE(fromInitiator.ok()) << fromInitiator.error().message;
  ASSERT_TRUE(fromResponder.ok()) << fromResponder.error().message;
  EXPECT_EQ(toHex(*fromInitiator), toHex(hex(kP384Girx)));
  EXPECT_EQ(toHex(*fromResponder), toHex(hex(kP384Girx)));
}

TEST(KeyExchangeEcp, KnownKeyPairWithAnotherPublicValueIsRefused) {
  auto mismatched = KeyExchange::createFromKnownKeyPairForTesting(DhGroup::Ecp256, hex(kP256I), hex(kP256Gr));
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("does not belong"), std::string::npos)
      << mismatched.error().message;
}

TEST(KeyExchangeEcp384, KnownKeyPairWithAnotherPublicValueIsRefused) {
  auto mismatched = KeyExchange::createFromKnownKeyPairForTesting(DhGroup::Ecp384, hex(kP384R), hex(kP384Gi));
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("does not belong"), std::string::npos)
      << mismatched.error().message;
}

TEST(KeyExchangeCurve25519, AliceAndBobComputeRfc7748SharedSecret) {
  auto alice = known(DhGroup::Curve25519, kAlicePrivate, kAlicePublic);
  auto bob = known(DhGroup::Curve25519, kBobPrivate, kBobPublic);
  ASSERT_TRUE(alice && bob);
  auto aliceSecret = alice->sharedSecret(hex(kBobPublic));
  auto bobSecret = bob->sharedSecret(hex(kAlicePublic));
  ASSERT_TRUE(aliceSecret.ok()) << aliceSecret.error().message;
  ASSERT_TRUE(bobSecret.ok()) << bobSecret.error().message;
  EXPECT_EQ(toHex(*aliceSecret), kX25519Shared);
  EXPECT_EQ(toHex(*bobSecret), kX25519Shared);
}

TEST(KeyExchangeCurve25519, KnownPrivateKeyWithAnotherPublicValueIsRefused) {
  // X25519(alice, 9) is Alice's public value, not Bob's.
  auto mismatched =
      KeyExchange::createFromKnownKeyPairForTesting(DhGroup::Curve25519, hex(kAlicePrivate), hex(kBobPublic));
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("X25519(private key, 9)"), std::string::npos)
      << mismatched.error().message;
}

TEST(KeyExchangeCurve25519, LowOrderPeerValueGivingAllZeroSecretIsRejected) {
  auto alice = known(DhGroup::Curve25519, kAlicePrivate, kAlicePublic);
  ASSERT_TRUE(alice);
  // u = 0 and u = 1 are points of small order: X25519 gives all zero (RFC 7748 §6.1, RFC 8031 §2.3).
  for (const char* lowOrder : {"0000000000000000000000000000000000000000000000000000000000000000",
                               "0100000000000000000000000000000000000000000000000000000000000000"}) {
    auto secret = alice->sharedSecret(hex(lowOrder));
    ASSERT_FALSE(secret.ok()) << "accepted low-order point " << lowOrder;
    EXPECT_NE(secret.error().message.find("RFC 8031 §2.3"), std::string::npos) << secret.error().message;
  }
}

TEST(KeyExchange, FreshKeyPairsOfEachGroupAgree) {
  for (DhGroup group : {DhGroup::Modp2048, DhGroup::Ecp256, DhGroup::Ecp384, DhGroup::Curve25519}) {
    SCOPED_TRACE(transformName(group));
    auto a = fresh(group);
    auto b = fresh(group);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->group(), group);
    EXPECT_EQ(a->publicValue().size(), keyExchangeLength(group));
    EXPECT_NE(toHex(a->publicValue()), toHex(b->publicValue()));
    auto secretA = a->sharedSecret(b->publicValue());
    auto secretB = b->sharedSecret(a->publicValue());
    ASSERT_TRUE(secretA.ok()) << secretA.error().message;
    ASSERT_TRUE(secretB.ok()) << secretB.error().message;
    EXPECT_EQ(*secretA, *secretB);
  }
}

TEST(KeyExchange, FreshAndKnownKeyPairsAgree) {
  struct Vector {
    DhGroup group;
    const char* privateKey;
    const char* publicValue;
  };
  for (const Vector& vector :
       {Vector{DhGroup::Ecp256, kP256I, kP256Gi}, Vector{DhGroup::Ecp384, kP384R, kP384Gr},
        Vector{DhGroup::Curve25519, kBobPrivate, kBobPublic}}) {
    SCOPED_TRACE(transformName(vector.group));
    auto imported = known(vector.group, vector.privateKey, vector.publicValue);
    auto generated = fresh(vector.group);
    ASSERT_TRUE(imported && generated);
    EXPECT_TRUE(agree(*imported, *generated));
  }
}

TEST(KeyExchange, ExchangesOnSeveralThreadsAtOnceAgree) {
  // Worker threads use a group for the first time at once (gtest's assertions are thread-safe).
  for (DhGroup group : {DhGroup::Modp2048, DhGroup::Ecp256, DhGroup::Ecp384, DhGroup::Curve25519}) {
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([group] {
        auto a = fresh(group);
        auto b = fresh(group);
        ASSERT_TRUE(a && b);
        EXPECT_TRUE(agree(*a, *b)) << transformName(group);
      });
    }
    for (auto& thread : threads) thread.join();
  }
}

TEST(KeyExchange, LiveCountCountsInstancesUntilDestroyed) {
  const std::size_t before = KeyExchange::liveCount();
  auto a = fresh(DhGroup::Curve25519);
  auto b = known(DhGroup::Ecp256, kP256I, kP256Gi);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(KeyExchange::liveCount(), before + 2);
  a.reset();
  EXPECT_EQ(KeyExchange::liveCount(), before + 1);
  b.reset();
  EXPECT_EQ(KeyExchange::liveCount(), before);
}

TEST(KeyExchangeModp2048, PublicValueAndSecretAre256Octets) {
  auto a = fresh(DhGroup::Modp2048);
  auto b = fresh(DhGroup::Modp2048);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->publicValue().size(), 256u);
  auto secret = a->sharedSecret(b->publicValue());
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(secret->size(), 256u);
}

TEST(KeyExchangeModp2048, SecretWithLeadingZeroOctetKeepsItsLength) {
  // RFC 7296 §2.14: g^ir is as long as the prime. About one secret in 256 starts with a zero
  // octet; both sides must keep it, left-padded. 4,000 tries miss one with probability 1e-7.
  auto ours = fresh(DhGroup::Modp2048);
  ASSERT_TRUE(ours);
  for (int attempt = 0; attempt < 4000; ++attempt) {
    auto peer = fresh(DhGroup::Modp2048);
    ASSERT_TRUE(peer);
    auto secret = ours->sharedSecret(peer->publicValue());
    ASSERT_TRUE(secret.ok()) << secret.error().message;
    ASSERT_EQ(secret->size(), 256u);
    if ((*secret)[0] != 0) continue;
    EXPECT_TRUE(agree(*ours, *peer));
    return;
  }
  FAIL() << "no secret with a leading zero octet in 4,000 exchanges";
}

TEST(KeyExchangeModp2048, OutOfRangePeerValuesAreRejected) {
  auto exchange = fresh(DhGroup::Modp2048);
  ASSERT_TRUE(exchange);
  const auto prime = hex(kModp2048Prime);
  std::vector<std::uint8_t> zero(256, 0), one(256, 0);
  one.back() = 1;
  auto primeMinusOne = prime;
  primeMinusOne.back() -= 1;
  auto primePlusOne = prime;  // p ends in 0xff: p + 1 ends in ...00 with a carry
  for (std::size_t i = primePlusOne.size(); i-- > 0;) {
    if (++primePlusOne[i] != 0) break;
  }
  const std::vector<std::uint8_t> allOnes(256, 0xff);
  expectRejected(*exchange, zero, "must be greater than 1");
  expectRejected(*exchange, one, "must be greater than 1");
  expectRejected(*exchange, primeMinusOne, "not less than p-1");
  expectRejected(*exchange, prime, "not less than p-1");
  expectRejected(*exchange, primePlusOne, "not less than p-1");
  expectRejected(*exchange, allOnes, "not less than p-1");
}

TEST(KeyExchangeModp2048, PeerValueOfWrongLengthIsRejected) {
  auto a = fresh(DhGroup::Modp2048);
  auto b = fresh(DhGroup::Modp2048);
  ASSERT_TRUE(a && b);
  std::vector<std::uint8_t> value(b->publicValue().begin(), b->publicValue().end());
  auto shorter = std::vector<std::uint8_t>(value.begin() + 1, value.end());  // unpadded: 255 octets
  auto longer = value;
  longer.insert(longer.begin(), 0);
  expectRejected(*a, shorter, "is 255 octets, expected 256");
  expectRejected(*a, longer, "is 257 octets, expected 256");
  expectRejected(*a, {}, "is 0 octets, expected 256");
}

TEST(KeyExchangeEcp256, PeerValueWithPointFormatOctetIsRejected) {
  auto initiator = known(DhGroup::Ecp256, kP256I, kP256Gi);
  ASSERT_TRUE(initiator);
  auto withPrefix = hex(kP256Gr);
  withPrefix.insert(withPrefix.begin(), 0x04);  // RFC 5903 §7 forbids the SEC 1 prefix
  expectRejected(*initiator, withPrefix, "is 65 octets, expected 64");
  expectRejected(*initiator, hex(kP384Gr), "is 96 octets, expected 64");
}

TEST(KeyExchangeEcp256, PointOffTheCurveIsRejected) {
  auto initiator = known(DhGroup::Ecp256, kP256I, kP256Gi);
  ASSERT_TRUE(initiator);
  auto offCurve = hex(kP256Gr);
  offCurve.back() ^= 0x01;  // y changed: x, y still field elements, no longer on the curve
  expectRejected(*initiator, offCurve, "not a point on the curve");
  expectRejected(*initiator, std::vector<std::uint8_t>(64, 0), "not a point on the curve");
}

TEST(KeyExchangeEcp256, CoordinateNotBelowTheFieldPrimeIsRejected) {
  auto initiator = known(DhGroup::Ecp256, kP256I, kP256Gi);
  ASSERT_TRUE(initiator);
  auto bigX = hex(kP256Gr);
  std::fill(bigX.begin(), bigX.begin() + 32, 0xff);
  expectRejected(*initiator, bigX, "x coordinate is not less than the field prime");
  auto bigY = hex(kP256Gr);
  const auto p = hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
  std::copy(p.begin(), p.end(), bigY.begin() + 32);  // y = p exactly
  expectRejected(*initiator, bigY, "y coordinate is not less than the field prime");
}

TEST(KeyExchangeEcp384, PointOffTheCurveIsRejected) {
  auto initiator = known(DhGroup::Ecp384, kP384I, kP384Gi);
  ASSERT_TRUE(initiator);
  auto offCurve = hex(kP384Gr);
  offCurve[10] ^= 0x80;
  expectRejected(*initiator, offCurve, "not a point on the curve");
}

TEST(KeyExchangeCurve25519, PeerValueOfWrongLengthIsRejected) {
  auto alice = known(DhGroup::Curve25519, kAlicePrivate, kAlicePublic);
  ASSERT_TRUE(alice);
  auto longer = hex(kBobPublic);
  longer.push_back(0);
  expectRejected(*alice, longer, "is 33 octets, expected 32");
}

TEST(KeyExchange, ModpCannotImportAPrivateKey) {
  auto exchange = KeyExchange::createFromKnownKeyPairForTesting(
      DhGroup::Modp2048, std::vector<std::uint8_t>(256, 1), std::vector<std::uint8_t>(256, 2));
  ASSERT_FALSE(exchange.ok());
  EXPECT_NE(exchange.error().message.find("only ECP and Curve25519"), std::string::npos)
      << exchange.error().message;
}

}  // namespace
}  // namespace ikemesh::ike
