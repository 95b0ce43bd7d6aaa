// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "SampleMessages.hpp"
#include "ike/message/FragmentPlan.hpp"
#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"

namespace ikemesh::ike {
namespace {

const CipherOverhead kAesGcm16{8, 16, 1};
const CipherOverhead kAesCbcSha256{16, 16, 16};

/// The size of the fragment message that carries `length` plaintext bytes, with the least
/// padding the block length allows (RFC 7296 §3.14).
std::size_t fragmentMessageSize(std::size_t length, const CipherOverhead& overhead) {
  std::size_t padded = (length + 1 + overhead.blockLength - 1) / overhead.blockLength * overhead.blockLength;
  return kIkeHeaderLength + kEncryptedFragmentHeaderLength + overhead.ivLength + padded + overhead.icvLength;
}

void expectExactCoverWithinLimit(std::size_t plaintext, std::size_t limit, const CipherOverhead& overhead) {
  auto plan = planFragments(plaintext, limit, overhead);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::size_t next = 0;
  for (const auto& slice : plan.value()) {
    EXPECT_EQ(slice.offset, next) << "gap or overlap";
    EXPECT_LE(fragmentMessageSize(slice.length, overhead), limit) << "slice of " << slice.length << " bytes";
    next = slice.offset + slice.length;
  }
  EXPECT_EQ(next, plaintext) << "slices must end where the plaintext ends";
  // As few fragments as fit: one fewer could not carry the plaintext.
  std::size_t perFragment = maxFragmentPlaintext(limit, overhead);
  EXPECT_LT((plan->size() - 1) * perFragment, std::max<std::size_t>(plaintext, 1));
}

TEST(FragmentPlan, CoversThePlaintextExactlyWithinTheLimit) {
  for (std::size_t plaintext : {0, 1, 100, 1199, 1200, 1201, 5000, 65000})
    for (std::size_t limit : {100, 576, 1280})
      for (const auto& overhead : {kAesGcm16, kAesCbcSha256}) {
        SCOPED_TRACE("plaintext " + std::to_string(plaintext) + " limit " + std::to_string(limit));
        expectExactCoverWithinLimit(plaintext, limit, overhead);
      }
}

TEST(FragmentPlan, MaxPlaintextFillsTheLimit) {
  // 1280 - 28 - 8 - 8 - 16 = 1220 octets for plaintext and Pad Length with AES-GCM.
  EXPECT_EQ(maxFragmentPlaintext(1280, kAesGcm16), 1219u);
  EXPECT_EQ(fragmentMessageSize(1219, kAesGcm16), 1280u);
  // CBC: 1280 - 28 - 8 - 16 - 16 = 1212, whole blocks: 1200, minus the Pad Length.
  EXPECT_EQ(maxFragmentPlaintext(1280, kAesCbcSha256), 1199u);
  EXPECT_LE(fragmentMessageSize(1199, kAesCbcSha256), 1280u);
  EXPECT_GT(fragmentMessageSize(1200, kAesCbcSha256), 1280u);
}

TEST(FragmentPlan, SlicesAreOfNearEqualSize) {
  auto plan = planFragments(2500, 1280, kAesGcm16);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 3u);
  EXPECT_EQ((*plan)[0].length, 834u);
  EXPECT_EQ((*plan)[1].length, 833u);
  EXPECT_EQ((*plan)[2].length, 833u);
}

TEST(FragmentPlan, FailsWhenNoPlaintextFits) {
  auto plan = planFragments(10, 28 + 8 + 8 + 16, kAesGcm16);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("no room"), std::string::npos);
}

TEST(FragmentPlan, FailsBeyond65535Fragments) {
  auto plan = planFragments(70000, 28 + 8 + 8 + 16 + 2, kAesGcm16);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("65535"), std::string::npos);
}

TEST(FragmentPlan, FragmentMessagesEncodeWithinTheLimitAndDecode) {
  std::vector<Payload> inner = {
      {PayloadType::Certificate,
       CertificatePayload{CertificateEncoding::X509Signature, test::filled(3000, 7)}},
      {PayloadType::Authentication,
       AuthenticationPayload{AuthMethod::DigitalSignature, test::filled(256, 1)}}};
  auto plaintext = encodeInner(inner);
  constexpr std::size_t kLimit = 1280;
  auto plan = planFragments(plaintext.size(), kLimit, kAesCbcSha256);
  ASSERT_TRUE(plan.ok());
  auto total = static_cast<std::uint16_t>(plan->size());
  for (std::uint16_t i = 0; i < total; ++i) {
    const auto& slice = (*plan)[i];
    // Stand-in for the encryption: a body of the size IV + padded plaintext + ICV would have.
    std::size_t padded = (slice.length + 1 + 15) / 16 * 16;
    Message message = fragmentMessage(test::sampleHeader(ExchangeType::IkeAuth), PayloadType::Certificate,
                                      static_cast<std::uint16_t>(i + 1), total, Bytes(16 + padded + 16, 0));
    auto bytes = encode(message);
    EXPECT_LE(bytes.size(), kLimit);
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded.value(), message);
    const auto* fragment = decoded->payloads[0].as<EncryptedFragmentPayload>();
    EXPECT_EQ(fragment->firstInnerPayload, i == 0 ? PayloadType::Certificate : PayloadType::None);
  }
}

}  // namespace
}  // namespace ikemesh::ike
