// SPDX-License-Identifier: GPL-2.0-or-later
// An IKE_SA_INIT request as a mesh initiator sends it, written octet by octet from the
// layouts of RFC 7296 §3.1-§3.10 and RFC 7383 §2.3, decoded field by field.
#include <gtest/gtest.h>

#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"
#include "ike/message/MessageSummary.hpp"

namespace ikemesh::ike {
namespace {

// clang-format off
const std::vector<std::uint8_t> kIkeSaInitRequest = {
    // --- IKE header (§3.1), 28 octets
    0x5f, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,  // Initiator SPI
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Responder SPI: zero in the first request
    0x21,                                            // Next Payload: SA (33)
    0x20,                                            // Version 2.0
    0x22,                                            // Exchange Type: IKE_SA_INIT (34)
    0x08,                                            // Flags: I (initiator), not R
    0x00, 0x00, 0x00, 0x00,                          // Message ID 0
    0x00, 0x00, 0x00, 0xd8,                          // Length 216
    // --- SA payload (§3.3), 48 octets
    0x22, 0x00, 0x00, 0x30,                          // Next: KE (34), C=0, Length 48
    //   Proposal 1 (§3.3.1), 44 octets
    0x00, 0x00, 0x00, 0x2c,                          // Last Substruc 0 (last), RESERVED, Length 44
    0x01, 0x01, 0x00, 0x04,                          // Proposal Num 1, Protocol IKE, SPI Size 0, 4 transforms
    //     Transform 1 (§3.3.2): ENCR_AES_GCM_16 with Key Length 256, 12 octets
    0x03, 0x00, 0x00, 0x0c,                          // Last Substruc 3 (more), RESERVED, Length 12
    0x01, 0x00, 0x00, 0x14,                          // Type 1 (ENCR), RESERVED, Transform ID 20
    0x80, 0x0e, 0x01, 0x00,                          // AF=1 + Key Length (14), TV value 256
    //     Transform 2: PRF_HMAC_SHA2_256
    0x03, 0x00, 0x00, 0x08,                          // more, Length 8
    0x02, 0x00, 0x00, 0x05,                          // Type 2 (PRF), Transform ID 5
    //     Transform 3: key exchange group 31 (Curve25519)
    0x03, 0x00, 0x00, 0x08,                          // more, Length 8
    0x04, 0x00, 0x00, 0x1f,                          // Type 4 (KE), Transform ID 31
    //     Transform 4: key exchange group 19 (ECP-256)
    0x00, 0x00, 0x00, 0x08,                          // last, Length 8
    0x04, 0x00, 0x00, 0x13,                          // Type 4 (KE), Transform ID 19
    // --- KE payload (§3.4), 40 octets
    0x28, 0x00, 0x00, 0x28,                          // Next: Nonce (40), Length 40
    0x00, 0x1f, 0x00, 0x00,                          // DH Group 31, RESERVED
    0xe6, 0xdb, 0x68, 0x67, 0x58, 0x30, 0x30, 0xdb,  // 32-octet Curve25519 public value
    0x35, 0x94, 0xc1, 0xa4, 0x24, 0xb1, 0x5f, 0x7c,
    0x72, 0x66, 0x24, 0xec, 0x26, 0xb3, 0x35, 0x3b,
    0x10, 0xa9, 0x03, 0xa6, 0xd0, 0xab, 0x1c, 0x4c,
    // --- Nonce payload (§3.9), 36 octets
    0x29, 0x00, 0x00, 0x24,                          // Next: Notify (41), Length 36
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,  // 32-octet Ni
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
    0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    // --- Notify NAT_DETECTION_SOURCE_IP (§3.10, §2.23), 28 octets
    0x29, 0x00, 0x00, 0x1c,                          // Next: Notify, Length 28
    0x00, 0x00, 0x40, 0x04,                          // Protocol 0, SPI Size 0, type 16388
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // SHA-1(SPIs | address | port)
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14,
    // --- Notify NAT_DETECTION_DESTINATION_IP, 28 octets
    0x29, 0x00, 0x00, 0x1c,                          // Next: Notify, Length 28
    0x00, 0x00, 0x40, 0x05,                          // type 16389
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
    0x31, 0x32, 0x33, 0x34,
    // --- Notify IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 §2.3), 8 octets
    0x00, 0x00, 0x00, 0x08,                          // Next: none, Length 8
    0x00, 0x00, 0x40, 0x2e,                          // type 16430, no data
};
// clang-format on

class IkeSaInitRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(kIkeSaInitRequest.size(), 216u);
    auto decoded = decode(kIkeSaInitRequest);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    message = decoded.value();
  }
  Message message;
};

TEST_F(IkeSaInitRequest, HeaderFields) {
  EXPECT_EQ(message.header.initiatorSpi, 0x5f3a112233445566ULL);
  EXPECT_EQ(message.header.responderSpi, 0u);
  EXPECT_EQ(message.header.exchangeType, ExchangeType::IkeSaInit);
  EXPECT_TRUE(message.header.initiator);
  EXPECT_FALSE(message.header.response);
  EXPECT_FALSE(message.header.higherVersion);
  EXPECT_EQ(message.header.messageId, 0u);
}

TEST_F(IkeSaInitRequest, PayloadOrder) {
  std::vector<PayloadType> types;
  for (const auto& payload : message.payloads) types.push_back(payload.type);
  EXPECT_EQ(types, (std::vector<PayloadType>{PayloadType::SecurityAssociation, PayloadType::KeyExchange,
                                             PayloadType::Nonce, PayloadType::Notify, PayloadType::Notify,
                                             PayloadType::Notify}));
}

TEST_F(IkeSaInitRequest, SecurityAssociationProposal) {
  const auto* sa = message.payloads[0].as<SecurityAssociationPayload>();
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->proposals.size(), 1u);
  const Proposal& proposal = sa->proposals[0];
  EXPECT_EQ(proposal.number, 1);
  EXPECT_EQ(proposal.protocol, ProtocolId::Ike);
  EXPECT_TRUE(proposal.spi.empty());
  ASSERT_EQ(proposal.transforms.size(), 4u);
  EXPECT_EQ(proposal.transforms[0].type, TransformType::Encryption);
  EXPECT_EQ(proposal.transforms[0].id, 20);
  EXPECT_EQ(proposal.transforms[0].keyLength(), std::optional<std::uint16_t>(256));
  EXPECT_EQ(proposal.transforms[1].type, TransformType::PseudoRandomFunction);
  EXPECT_EQ(proposal.transforms[1].id, 5);
  EXPECT_EQ(proposal.transforms[1].keyLength(), std::nullopt);
  EXPECT_EQ(proposal.transforms[2].type, TransformType::KeyExchange);
  EXPECT_EQ(proposal.transforms[2].id, 31);
  EXPECT_EQ(proposal.transforms[3].type, TransformType::KeyExchange);
  EXPECT_EQ(proposal.transforms[3].id, 19);
}

TEST_F(IkeSaInitRequest, KeyExchangeAndNonce) {
  const auto* ke = message.payloads[1].as<KeyExchangePayload>();
  ASSERT_NE(ke, nullptr);
  EXPECT_EQ(ke->group, 31);
  ASSERT_EQ(ke->keyData.size(), 32u);
  EXPECT_EQ(ke->keyData.front(), 0xe6);
  EXPECT_EQ(ke->keyData.back(), 0x4c);
  const auto* nonce = message.payloads[2].as<NoncePayload>();
  ASSERT_NE(nonce, nullptr);
  ASSERT_EQ(nonce->nonce.size(), 32u);
  EXPECT_EQ(nonce->nonce.front(), 0xa0);
  EXPECT_EQ(nonce->nonce.back(), 0xbf);
}

TEST_F(IkeSaInitRequest, Notifies) {
  const auto* source = message.findNotify(NotifyType::NatDetectionSourceIp);
  const auto* destination = message.findNotify(NotifyType::NatDetectionDestinationIp);
  const auto* fragmentation = message.findNotify(NotifyType::Ikev2FragmentationSupported);
  ASSERT_NE(source, nullptr);
  ASSERT_NE(destination, nullptr);
  ASSERT_NE(fragmentation, nullptr);
  EXPECT_EQ(source->data.size(), 20u);
  EXPECT_EQ(source->data.front(), 0x01);
  EXPECT_EQ(destination->data.front(), 0x21);
  EXPECT_EQ(source->protocol, ProtocolId::None);
  EXPECT_TRUE(source->spi.empty());
  EXPECT_TRUE(fragmentation->data.empty());
}

TEST_F(IkeSaInitRequest, ReencodesToTheSameOctets) {
  EXPECT_EQ(encode(message), kIkeSaInitRequest);
}

TEST_F(IkeSaInitRequest, SummaryLine) {
  EXPECT_EQ(summarize(message), "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]");
}

}  // namespace
}  // namespace ikemesh::ike
