// SPDX-License-Identifier: GPL-2.0-or-later
// decode(encode(m)) == m for every payload kind, alone and chained, outer and inner.
#include <gtest/gtest.h>

#include "SampleMessages.hpp"
#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"
#include "ike/message/MessageSummary.hpp"

namespace ikemesh::ike {
namespace {

using test::everyPlainPayload;
using test::filled;
using test::sampleHeader;

Message roundTrip(const Message& message) {
  auto bytes = encode(message);
  auto decoded = decode(bytes);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  if (!decoded.ok()) return {};
  return decoded.value();
}

class SinglePayloadRoundTrip : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SinglePayloadRoundTrip, DecodesToTheEncodedPayload) {
  Payload payload = everyPlainPayload()[GetParam()];
  ASSERT_TRUE(bodyMatchesType(payload.type, payload.body));
  Message message{sampleHeader(), {payload}};
  EXPECT_EQ(roundTrip(message), message) << payloadTypeName(payload.type);
}

TEST_P(SinglePayloadRoundTrip, DecodesInsideAnEncryptedPayload) {
  std::vector<Payload> inner = {everyPlainPayload()[GetParam()]};
  auto plaintext = encodeInner(inner);
  auto decoded = decodeInner(inner.front().type, plaintext);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), inner);
}

INSTANTIATE_TEST_SUITE_P(EveryPayloadKind, SinglePayloadRoundTrip,
                         ::testing::Range(std::size_t{0}, everyPlainPayload().size()));

TEST(PayloadRoundTrip, TheWholeChainOfEveryKindRoundTrips) {
  Message message{sampleHeader(ExchangeType::IkeAuth), everyPlainPayload()};
  EXPECT_EQ(roundTrip(message), message);
}

TEST(PayloadRoundTrip, EncryptedPayloadKeepsItsBodyAndFirstInnerType) {
  Message message{sampleHeader(ExchangeType::IkeAuth),
                  {{PayloadType::Encrypted, EncryptedPayload{PayloadType::IdInitiator, filled(120, 0x33)}}}};
  EXPECT_EQ(roundTrip(message), message);
}

TEST(PayloadRoundTrip, EmptyEncryptedPayloadOfALivenessCheckRoundTrips) {
  Message message{sampleHeader(ExchangeType::Informational),
                  {{PayloadType::Encrypted, EncryptedPayload{PayloadType::None, filled(8 + 16 + 16, 0)}}}};
  EXPECT_EQ(roundTrip(message), message);
}

TEST(PayloadRoundTrip, EncryptedPayloadMayFollowPlainPayloads) {
  Message message{sampleHeader(ExchangeType::IkeAuth),
                  {{PayloadType::VendorId, VendorIdPayload{filled(4, 1)}},
                   {PayloadType::Encrypted, EncryptedPayload{PayloadType::Notify, filled(40, 0x10)}}}};
  EXPECT_EQ(roundTrip(message), message);
}

TEST(PayloadRoundTrip, EncryptedFragmentsRoundTrip) {
  for (std::uint16_t number : {1, 2, 5}) {
    EncryptedFragmentPayload fragment{number, 5, number == 1 ? PayloadType::IdInitiator : PayloadType::None,
                                      filled(100, static_cast<std::uint8_t>(number))};
    Message message{sampleHeader(ExchangeType::IkeAuth), {{PayloadType::EncryptedFragment, fragment}}};
    EXPECT_EQ(roundTrip(message), message) << "fragment " << number;
  }
}

TEST(PayloadRoundTrip, HeaderFieldsRoundTrip) {
  IkeHeader header = sampleHeader(ExchangeType::CreateChildSa);
  header.initiator = false;
  header.response = true;
  header.higherVersion = true;
  header.messageId = 0xfffffffe;
  Message message{header, {{PayloadType::Nonce, NoncePayload{filled(16, 0)}}}};
  EXPECT_EQ(roundTrip(message), message);
}

TEST(PayloadRoundTrip, MessageWithoutPayloadsRoundTrips) {
  Message message{sampleHeader(ExchangeType::Informational), {}};
  auto bytes = encode(message);
  EXPECT_EQ(bytes.size(), kIkeHeaderLength);
  EXPECT_EQ(roundTrip(message), message);
}

TEST(PayloadRoundTrip, EmptyInnerChainRoundTrips) {
  auto plaintext = encodeInner({});
  EXPECT_TRUE(plaintext.empty());
  auto decoded = decodeInner(PayloadType::None, plaintext);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(PayloadRoundTrip, NotifyProtocolWithoutSpiIsSentAsZero) {
  // §3.10: the Protocol ID of a Notify without SPI is sent as zero and ignored on receipt.
  Message message{
      sampleHeader(),
      {{PayloadType::Notify, NotifyPayload{ProtocolId::Esp, {}, NotifyType::InitialContact, {}}}}};
  auto bytes = encode(message);
  EXPECT_EQ(bytes[kIkeHeaderLength + 4], 0);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->payloads[0].as<NotifyPayload>()->protocol, ProtocolId::None);
}

TEST(AssociatedData, CoversHeaderAndEncryptedPayloadHeaderUpToTheIv) {
  Message message{sampleHeader(ExchangeType::IkeAuth),
                  {{PayloadType::Encrypted, EncryptedPayload{PayloadType::IdInitiator, filled(64, 0x44)}}}};
  auto aad = encodeAssociatedData(message);
  ASSERT_TRUE(aad.ok());
  auto bytes = encode(message);
  ASSERT_EQ(aad->size(), kIkeHeaderLength + kGenericPayloadHeaderLength);
  EXPECT_TRUE(std::equal(aad->begin(), aad->end(), bytes.begin()));

  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok());
  auto received = receivedAssociatedData(bytes, decoded.value());
  EXPECT_TRUE(std::equal(received.begin(), received.end(), aad->begin(), aad->end()));
}

TEST(AssociatedData, OfAFragmentIncludesFragmentNumberAndTotal) {
  Message message{
      sampleHeader(ExchangeType::IkeAuth),
      {{PayloadType::EncryptedFragment, EncryptedFragmentPayload{2, 3, PayloadType::None, filled(50, 0)}}}};
  auto aad = encodeAssociatedData(message);
  ASSERT_TRUE(aad.ok());
  EXPECT_EQ(aad->size(), kIkeHeaderLength + kEncryptedFragmentHeaderLength);
}

TEST(AssociatedData, RequiresAnEncryptedLastPayload) {
  Message message{sampleHeader(), {{PayloadType::Nonce, NoncePayload{filled(16, 0)}}}};
  auto aad = encodeAssociatedData(message);
  ASSERT_FALSE(aad.ok());
  EXPECT_NE(aad.error().message.find("Nonce"), std::string::npos);
}

}  // namespace
}  // namespace ikemesh::ike
