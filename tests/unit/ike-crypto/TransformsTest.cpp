// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "ike/crypto/Transforms.hpp"

namespace ikemesh::ike {
namespace {

TEST(Transforms, EnumValuesAreTheIanaNumbers) {
  EXPECT_EQ(static_cast<int>(EncrAlgorithm::AesCbc), 12);
  EXPECT_EQ(static_cast<int>(EncrAlgorithm::AesGcm16), 20);
  EXPECT_EQ(static_cast<int>(PrfAlgorithm::HmacSha2_256), 5);
  EXPECT_EQ(static_cast<int>(PrfAlgorithm::HmacSha2_384), 6);
  EXPECT_EQ(static_cast<int>(PrfAlgorithm::HmacSha2_512), 7);
  EXPECT_EQ(static_cast<int>(IntegAlgorithm::HmacSha2_256_128), 12);
  EXPECT_EQ(static_cast<int>(IntegAlgorithm::HmacSha2_384_192), 13);
  EXPECT_EQ(static_cast<int>(IntegAlgorithm::HmacSha2_512_256), 14);
  EXPECT_EQ(static_cast<int>(DhGroup::Modp2048), 14);
  EXPECT_EQ(static_cast<int>(DhGroup::Ecp256), 19);
  EXPECT_EQ(static_cast<int>(DhGroup::Ecp384), 20);
  EXPECT_EQ(static_cast<int>(DhGroup::Curve25519), 31);
}

TEST(Transforms, UnknownIdsAreNotMapped) {
  EXPECT_FALSE(encrAlgorithmFromId(3).has_value());  // 3DES
  EXPECT_FALSE(prfAlgorithmFromId(2).has_value());   // HMAC-SHA1
  EXPECT_FALSE(integAlgorithmFromId(2).has_value());
  EXPECT_FALSE(dhGroupFromId(2).has_value());  // MODP-1024
  EXPECT_EQ(dhGroupFromId(31), DhGroup::Curve25519);
}

TEST(Transforms, AesGcmKeyLengthIncludesTheSalt) {
  EXPECT_EQ(encryptionKeyLength({EncrAlgorithm::AesGcm16, 128}), 20u);
  EXPECT_EQ(encryptionKeyLength({EncrAlgorithm::AesGcm16, 256}), 36u);
  EXPECT_EQ(encryptionKeyLength({EncrAlgorithm::AesCbc, 256}), 32u);
}

TEST(Transforms, IntegrityChecksumIsHalfTheKey) {
  EXPECT_EQ(integrityChecksumLength(IntegAlgorithm::HmacSha2_256_128), 16u);
  EXPECT_EQ(integrityChecksumLength(IntegAlgorithm::HmacSha2_384_192), 24u);
  EXPECT_EQ(integrityChecksumLength(IntegAlgorithm::HmacSha2_512_256), 32u);
}

TEST(Transforms, InvalidKeyLengthIsRefusedWithTheValue) {
  auto valid = validateTransforms({EncrAlgorithm::AesCbc, 100}, IntegAlgorithm::HmacSha2_256_128);
  ASSERT_FALSE(valid.ok());
  EXPECT_NE(valid.error().message.find("100 bits"), std::string::npos) << valid.error().message;
}

TEST(Transforms, CbcWithoutIntegrityIsRefused) {
  auto valid = validateTransforms({EncrAlgorithm::AesCbc, 128}, IntegAlgorithm::None);
  ASSERT_FALSE(valid.ok());
  EXPECT_NE(valid.error().message.find("needs an integrity algorithm"), std::string::npos)
      << valid.error().message;
}

}  // namespace
}  // namespace ikemesh::ike
