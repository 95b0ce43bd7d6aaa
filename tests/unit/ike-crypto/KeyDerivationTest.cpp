// SPDX-License-Identifier: GPL-2.0-or-later
// Expected values: tests/unit/ike-crypto/vectors/ike_kdf_vectors.py (Python hmac/hashlib, run
// once, output pasted here), written from RFC 7296 §2.13, §2.14, §2.17, §2.18 independently.
#include <gtest/gtest.h>

#include <array>

#include "TestBytes.hpp"
#include "ike/crypto/KeyDerivation.hpp"

namespace ikemesh::ike {
namespace {

using test::hex;
using test::repeated;
using test::toHex;

struct Inputs {
  std::vector<std::uint8_t> ni;
  std::vector<std::uint8_t> nr;
  std::vector<std::uint8_t> gir = hex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");
  std::array<std::uint8_t, 8> spiI = {1, 2, 3, 4, 5, 6, 7, 8};
  std::array<std::uint8_t, 8> spiR = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
  Inputs() {
    for (int i = 0x10; i < 0x30; ++i) ni.push_back(static_cast<std::uint8_t>(i));
    for (int i = 0xa0; i < 0xc0; ++i) nr.push_back(static_cast<std::uint8_t>(i));
  }
};

const char* const kSkeyseed = "9331ee550ac835053cd366bc83483fd2e76919dd1f6399e8c5ca3fbb34c623a0";
const char* const kGcmSkD = "8577ea4587179ca4d2e874b10f2d09e546dcb248c515010f68353a51c5853966";

TEST(KeyDerivation, SkeyseedIsPrfOfNoncesOverSharedSecret) {
  Inputs in;
  auto skeyseed = deriveSkeyseed(PrfAlgorithm::HmacSha2_256, in.ni, in.nr, in.gir);
  ASSERT_TRUE(skeyseed.ok()) << skeyseed.error().message;
  EXPECT_EQ(toHex(*skeyseed), kSkeyseed);
}

TEST(KeyDerivation, IkeSaKeysForAesGcmHaveSaltAndNoIntegrityKeys) {
  Inputs in;
  const IkeSaTransforms transforms{
      {EncrAlgorithm::AesGcm16, 256}, IntegAlgorithm::None, PrfAlgorithm::HmacSha2_256};
  auto keys = deriveIkeSaKeys(transforms, hex(kSkeyseed), in.ni, in.nr, in.spiI, in.spiR);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(toHex(keys->skD), kGcmSkD);
  EXPECT_TRUE(keys->skAi.empty());
  EXPECT_TRUE(keys->skAr.empty());
  EXPECT_EQ(toHex(keys->skEi), "10f2ba6dafc1e4f493aff8588c8cf3ecdaedebb74c70e492dc86b3849d807d77fcace5bf");
  EXPECT_EQ(toHex(keys->skEr), "ef42153f6ed949c57b11ac9fbb2c86f585ba1de224f02c63c47cb63b4f7070330577eea5");
  EXPECT_EQ(toHex(keys->skPi), "6f5198797c1bca623a5ac0076210b4b8a58c9d348b7533ab1d3b9a33dd548cf2");
  EXPECT_EQ(toHex(keys->skPr), "c2e554eab868736b7c680971fcc0ce21290cc46477a5488bfc1f9e812a71475a");
}

TEST(KeyDerivation, IkeSaKeysForAesCbcWithHmacTakeIntegrityKeysBeforeEncryptionKeys) {
  Inputs in;
  const IkeSaTransforms transforms{
      {EncrAlgorithm::AesCbc, 128}, IntegAlgorithm::HmacSha2_256_128, PrfAlgorithm::HmacSha2_256};
  auto keys = deriveIkeSaKeys(transforms, hex(kSkeyseed), in.ni, in.nr, in.spiI, in.spiR);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(toHex(keys->skD), kGcmSkD);
  EXPECT_EQ(toHex(keys->skAi), "10f2ba6dafc1e4f493aff8588c8cf3ecdaedebb74c70e492dc86b3849d807d77");
  EXPECT_EQ(toHex(keys->skAr), "fcace5bfef42153f6ed949c57b11ac9fbb2c86f585ba1de224f02c63c47cb63b");
  EXPECT_EQ(toHex(keys->skEi), "4f7070330577eea56f5198797c1bca62");
  EXPECT_EQ(toHex(keys->skEr), "3a5ac0076210b4b8a58c9d348b7533ab");
  EXPECT_EQ(toHex(keys->skPi), "1d3b9a33dd548cf2c2e554eab868736b7c680971fcc0ce21290cc46477a5488b");
  EXPECT_EQ(toHex(keys->skPr), "fc1f9e812a71475ad7e62675f3c5372c5d277338bb3df3bf840189be453bccc9");
}

TEST(KeyDerivation, IkeSaKeyLengthsFollowTheTransforms) {
  Inputs in;
  const IkeSaTransforms transforms{
      {EncrAlgorithm::AesCbc, 256}, IntegAlgorithm::HmacSha2_512_256, PrfAlgorithm::HmacSha2_384};
  auto keys = deriveIkeSaKeys(transforms, hex(kSkeyseed), in.ni, in.nr, in.spiI, in.spiR);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->skD.size(), 48u);
  EXPECT_EQ(keys->skAi.size(), 64u);
  EXPECT_EQ(keys->skAr.size(), 64u);
  EXPECT_EQ(keys->skEi.size(), 32u);
  EXPECT_EQ(keys->skEr.size(), 32u);
  EXPECT_EQ(keys->skPi.size(), 48u);
  EXPECT_EQ(keys->skPr.size(), 48u);
}

TEST(KeyDerivation, RekeyedSkeyseedUsesOldSkDOverNewSecretAndNonces) {
  auto skeyseed = deriveRekeyedSkeyseed(PrfAlgorithm::HmacSha2_256, hex(kGcmSkD), repeated(0x5a, 32),
                                        repeated(0x21, 16), repeated(0x42, 16));
  ASSERT_TRUE(skeyseed.ok()) << skeyseed.error().message;
  EXPECT_EQ(toHex(*skeyseed), "52cb0f943b8d0245dc9b40a6d014a46466dd5d0a04d8a02a6caa873dfa550a70");
}

TEST(KeyDerivation, ChildSaKeysWithoutPfsForAesGcm) {
  Inputs in;
  const ChildSaTransforms transforms{{EncrAlgorithm::AesGcm16, 128}, IntegAlgorithm::None};
  auto keys = deriveChildSaKeys(PrfAlgorithm::HmacSha2_256, hex(kGcmSkD), transforms, {}, in.ni, in.nr);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(toHex(keys->initiatorToResponder.encryptionKey), "2dfc0cbee4e206e0390e836184861873bfed9714");
  EXPECT_TRUE(keys->initiatorToResponder.integrityKey.empty());
  EXPECT_EQ(toHex(keys->responderToInitiator.encryptionKey), "b7842e5881a9e5a012e774969af104969035fbb5");
  EXPECT_TRUE(keys->responderToInitiator.integrityKey.empty());
}

TEST(KeyDerivation, ChildSaKeysWithPfsForAesCbcAndHmac) {
  Inputs in;
  const ChildSaTransforms transforms{{EncrAlgorithm::AesCbc, 256}, IntegAlgorithm::HmacSha2_512_256};
  auto keys = deriveChildSaKeys(PrfAlgorithm::HmacSha2_256, hex(kGcmSkD), transforms, repeated(0x5a, 32),
                                in.ni, in.nr);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(toHex(keys->initiatorToResponder.encryptionKey),
            "1a2eec6bf07845252c34e1da7788e816ec076ec770e25001f3732024719a29cf");
  EXPECT_EQ(toHex(keys->initiatorToResponder.integrityKey),
            "f19a8566d292a25758873621e69b7b710f9c61900492346bfb067d184dca3f16428ab11a80d23d10b1e3d087e9b1b71b"
            "d5d3bdcb601"
            "bd06c909200a6b826c320");
  EXPECT_EQ(toHex(keys->responderToInitiator.encryptionKey),
            "6a8b5a11ec4815eeb1d87e5fe90722c0dd2a12067946cac52e396bba9230d3a8");
  EXPECT_EQ(toHex(keys->responderToInitiator.integrityKey),
            "3b0046d03fdb55a8cec6860cb1cdec4e7e38b4b5df0d8279e3008fb3329cfe8a54164ce3273816e56abac101ae79ce90"
            "256d76655"
            "5bb2062d7c0de358b531372");
}

TEST(KeyDerivation, AeadWithAnIntegrityAlgorithmIsRefused) {
  Inputs in;
  const IkeSaTransforms transforms{
      {EncrAlgorithm::AesGcm16, 256}, IntegAlgorithm::HmacSha2_256_128, PrfAlgorithm::HmacSha2_256};
  auto keys = deriveIkeSaKeys(transforms, hex(kSkeyseed), in.ni, in.nr, in.spiI, in.spiR);
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message.find("RFC 5282 §8"), std::string::npos) << keys.error().message;
}

TEST(KeyDerivation, EmptyNonceIsRefused) {
  Inputs in;
  auto skeyseed = deriveSkeyseed(PrfAlgorithm::HmacSha2_256, {}, in.nr, in.gir);
  ASSERT_FALSE(skeyseed.ok());
  EXPECT_NE(skeyseed.error().message.find("Ni is empty"), std::string::npos) << skeyseed.error().message;
}

}  // namespace
}  // namespace ikemesh::ike
