// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "TestBytes.hpp"
#include "ike/crypto/Prf.hpp"

namespace ikemesh::ike {
namespace {

using test::bytesOf;
using test::hex;
using test::repeated;
using test::toHex;

struct PrfVector {
  const char* name;
  PrfAlgorithm algorithm;
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> data;
  const char* expected;
};

// RFC 4868 §2.7.1 test cases PRF-1..PRF-4 (the same as RFC 4231 §4.2-4.5).
std::vector<PrfVector> rfc4868Vectors() {
  const auto key1 = repeated(0x0b, 20);
  const auto data1 = bytesOf("Hi There");
  const auto key2 = bytesOf("Jefe");
  const auto data2 = bytesOf("what do ya want for nothing?");
  const auto key3 = repeated(0xaa, 20);
  const auto data3 = repeated(0xdd, 50);
  const auto key4 = hex("0102030405060708090a0b0c0d0e0f10111213141516171819");
  const auto data4 = repeated(0xcd, 50);
  using enum PrfAlgorithm;
  return {
      {"SHA256 PRF-1", HmacSha2_256, key1, data1,
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"SHA256 PRF-2", HmacSha2_256, key2, data2,
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"SHA256 PRF-3", HmacSha2_256, key3, data3,
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"SHA256 PRF-4", HmacSha2_256, key4, data4,
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"SHA384 PRF-1", HmacSha2_384, key1, data1,
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
      {"SHA384 PRF-2", HmacSha2_384, key2, data2,
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
      {"SHA384 PRF-3", HmacSha2_384, key3, data3,
       "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27"},
      {"SHA384 PRF-4", HmacSha2_384, key4, data4,
       "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb"},
      {"SHA512 PRF-1", HmacSha2_512, key1, data1,
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d9"
       "14eeb61f17"
       "02e696c203a126854"},
      {"SHA512 PRF-2", HmacSha2_512, key2, data2,
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab"
       "1a34d4a6b4"
       "b636e070a38bce737"},
      {"SHA512 PRF-3", HmacSha2_512, key3, data3,
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a"
       "337bee8942"
       "674278859e13292fb"},
      {"SHA512 PRF-4", HmacSha2_512, key4, data4,
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19"
       "741120c4f2"
       "de2adebeb10a298dd"},
  };
}

TEST(Prf, MatchesRfc4868TestCases) {
  for (const auto& vector : rfc4868Vectors()) {
    auto output = prf(vector.algorithm, vector.key, vector.data);
    ASSERT_TRUE(output.ok()) << vector.name << ": " << output.error().message;
    EXPECT_EQ(toHex(*output), vector.expected) << vector.name;
  }
}

TEST(Prf, OutputLengthIsTheHashLength) {
  const auto key = repeated(1, 32);
  EXPECT_EQ(prf(PrfAlgorithm::HmacSha2_256, key, key)->size(), 32u);
  EXPECT_EQ(prf(PrfAlgorithm::HmacSha2_384, key, key)->size(), 48u);
  EXPECT_EQ(prf(PrfAlgorithm::HmacSha2_512, key, key)->size(), 64u);
}

TEST(PrfPlus, MatchesIndependentComputation) {
  // tests/unit/ike-crypto/vectors/ike_kdf_vectors.py, "prfplus" (Python hmac, RFC 7296 §2.13).
  auto output = prfPlus(PrfAlgorithm::HmacSha2_256, repeated(0x0b, 32), bytesOf("ikemesh prf+"), 100);
  ASSERT_TRUE(output.ok()) << output.error().message;
  EXPECT_EQ(
      toHex(*output),
      "2b444a753942f745268d8ffa9816eb20f26f455e1dc88adbea8ea5fa51e7649c30b95f07d881e076bc7b4abdfaf4f6641a9936"
      "274edc4d236b79556d11620fd99ecaa21e2c6ef9efd701de208bd51779a8c19639490512674a384ff18792be486e77ee33");
}

TEST(PrfPlus, FirstBlockIsPrfOfSeedAndCounterOne) {
  // RFC 7296 §2.13: T1 = prf(K, S | 0x01).
  const auto key = repeated(0x0b, 32);
  auto seedAndOne = bytesOf("seed");
  seedAndOne.push_back(0x01);
  auto t1 = prf(PrfAlgorithm::HmacSha2_384, key, seedAndOne);
  auto expanded = prfPlus(PrfAlgorithm::HmacSha2_384, key, bytesOf("seed"), 48);
  ASSERT_TRUE(t1.ok() && expanded.ok());
  EXPECT_EQ(*t1, *expanded);
}

TEST(PrfPlus, RefusesMoreThan255Blocks) {
  auto output = prfPlus(PrfAlgorithm::HmacSha2_256, repeated(1, 32), bytesOf("s"), 255 * 32 + 1);
  ASSERT_FALSE(output.ok());
  EXPECT_NE(output.error().message.find("255"), std::string::npos) << output.error().message;
  EXPECT_TRUE(prfPlus(PrfAlgorithm::HmacSha2_256, repeated(1, 32), bytesOf("s"), 255 * 32).ok());
}

TEST(Prf, RefusesAnEmptyKey) {
  auto output = prf(PrfAlgorithm::HmacSha2_256, {}, bytesOf("data"));
  ASSERT_FALSE(output.ok());
  EXPECT_NE(output.error().message.find("empty"), std::string::npos) << output.error().message;
}

}  // namespace
}  // namespace ikemesh::ike
