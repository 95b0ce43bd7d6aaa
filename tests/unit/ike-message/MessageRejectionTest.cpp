// SPDX-License-Identifier: GPL-2.0-or-later
// One test per class of malformed input: each must be rejected with an error naming the field.
#include <gtest/gtest.h>

#include "SampleMessages.hpp"
#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"

namespace ikemesh::ike {
namespace {

using test::concat;
using test::filled;
using test::rawMessage;
using test::rawPayload;

constexpr std::uint8_t kSa = 33, kNonce = 40, kNotify = 41, kDelete = 42, kTsi = 44, kSk = 46, kEap = 48,
                       kSkf = 53, kNone = 0;

Bytes transform(std::uint8_t last, std::uint8_t type, std::uint16_t id, const Bytes& attributes = {}) {
  auto length = static_cast<std::uint16_t>(8 + attributes.size());
  Bytes bytes = {last, 0, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length),
                 type, 0, static_cast<std::uint8_t>(id >> 8),     static_cast<std::uint8_t>(id)};
  bytes.insert(bytes.end(), attributes.begin(), attributes.end());
  return bytes;
}

Bytes proposal(std::uint8_t last, std::uint8_t number, std::uint8_t protocol, const Bytes& spi,
               std::uint8_t transformCount, const Bytes& transforms) {
  auto length = static_cast<std::uint16_t>(8 + spi.size() + transforms.size());
  Bytes bytes = {last,   0,        static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length),
                 number, protocol, static_cast<std::uint8_t>(spi.size()),  transformCount};
  bytes.insert(bytes.end(), spi.begin(), spi.end());
  bytes.insert(bytes.end(), transforms.begin(), transforms.end());
  return bytes;
}

Bytes twoTransforms() {
  return concat({transform(3, 1, 20, {0x80, 0x0e, 0x01, 0x00}), transform(0, 4, 31)});
}

DecodeError decodeError(const Bytes& datagram) {
  auto result = decode(datagram);
  EXPECT_FALSE(result.ok()) << "accepted a malformed message";
  if (result.ok()) return {};
  return result.error();
}

void expectMalformed(const Bytes& datagram, const std::string& fragment) {
  DecodeError error = decodeError(datagram);
  EXPECT_EQ(error.kind, DecodeError::Kind::Malformed);
  EXPECT_NE(error.message.find(fragment), std::string::npos)
      << "error \"" << error.message << "\" does not mention \"" << fragment << "\"";
}

// --- IKE header ---------------------------------------------------------------------------------

TEST(HeaderRejection, TruncatedHeader) {
  Bytes datagram = rawMessage(kNone, {});
  datagram.pop_back();
  DecodeError error = decodeError(datagram);
  EXPECT_EQ(error.message, "IKE header: truncated: 27 bytes, 28 needed");
  EXPECT_FALSE(error.header.has_value());
}

TEST(HeaderRejection, HigherMajorVersionIsReportedForAnInvalidMajorVersionAnswer) {
  Bytes datagram = rawMessage(kNone, {});
  datagram[17] = 0x30;
  DecodeError error = decodeError(datagram);
  EXPECT_EQ(error.kind, DecodeError::Kind::InvalidMajorVersion);
  EXPECT_EQ(error.message, "IKE header: major version 3 (only 2 is supported, RFC 7296 §2.5)");
  ASSERT_TRUE(error.header.has_value());
  EXPECT_EQ(error.header->initiatorSpi, 0x0123456789abcdefULL);
}

TEST(HeaderRejection, IkeV1IsMalformed) {
  Bytes datagram = rawMessage(kNone, {});
  datagram[17] = 0x10;
  expectMalformed(datagram, "IKE header: major version 1 (IKEv1 and older are not supported)");
}

TEST(HeaderRejection, MinorVersionIsIgnored) {
  Bytes datagram = rawMessage(kNone, {});
  datagram[17] = 0x21;  // RFC 7296 §2.5: ignore the minor version
  EXPECT_TRUE(decode(datagram).ok());
}

TEST(HeaderRejection, LengthLongerThanTheDatagram) {
  Bytes datagram = rawMessage(kNone, {});
  datagram[27] = 100;
  expectMalformed(datagram, "IKE header: length 100 does not match the datagram (28 bytes)");
}

TEST(HeaderRejection, TrailingBytesAfterTheMessageLength) {
  Bytes datagram = rawMessage(kNone, {});
  datagram.push_back(0);
  expectMalformed(datagram, "IKE header: length 28 does not match the datagram (29 bytes)");
}

TEST(HeaderRejection, LengthShorterThanTheHeader) {
  Bytes datagram = rawMessage(kNone, {});
  datagram[27] = 20;
  expectMalformed(datagram, "IKE header: length 20 is shorter than the header (28)");
}

TEST(HeaderRejection, UnknownExchangeType) {
  expectMalformed(rawMessage(kNone, {}, 33), "unsupported exchange type 33");
  expectMalformed(rawMessage(kNone, {}, 38), "unsupported exchange type 38");
}

TEST(HeaderRejection, ZeroInitiatorSpi) {
  Bytes datagram = rawMessage(kNone, {});
  std::fill(datagram.begin(), datagram.begin() + 8, 0);
  expectMalformed(datagram, "initiator SPI is zero");
}

// --- Payload chain ------------------------------------------------------------------------------

TEST(ChainRejection, PayloadLengthShorterThanGenericHeader) {
  expectMalformed(rawMessage(kNonce, {0x00, 0x00, 0x00, 0x03}),
                  "Nonce payload: length 3 is shorter than the generic payload header (4)");
}

TEST(ChainRejection, PayloadLengthOverrunsTheMessage) {
  Bytes chain = rawPayload(kNone, filled(16, 0));
  chain[3] = 40;  // claims 40, only 20 there
  expectMalformed(rawMessage(kNonce, chain), "Nonce payload: length 40 overruns the message (20 bytes left)");
}

TEST(ChainRejection, NextPayloadPointsPastTheEnd) {
  expectMalformed(rawMessage(kNonce, rawPayload(kNotify, filled(16, 0))),
                  "Notify payload (payload 2): generic header truncated (0 bytes left), 4 needed");
}

TEST(ChainRejection, BytesAfterTheLastPayload) {
  Bytes chain = concat({rawPayload(kNone, filled(16, 0)), Bytes{0, 0, 0, 4}});
  expectMalformed(rawMessage(kNonce, chain), "4 bytes follow the last payload");
}

TEST(ChainRejection, UnknownCriticalPayloadIsReported) {
  Bytes chain = concat({rawPayload(99, filled(16, 0)), rawPayload(kNone, {1, 2, 3}, /*critical=*/true)});
  DecodeError error = decodeError(rawMessage(kNonce, chain));
  EXPECT_EQ(error.kind, DecodeError::Kind::UnsupportedCriticalPayload);
  EXPECT_EQ(error.unsupportedPayloadType, 99);
  ASSERT_TRUE(error.header.has_value());
  EXPECT_EQ(error.header->exchangeType, ExchangeType::IkeSaInit);
}

TEST(ChainRejection, UnknownNonCriticalPayloadIsSkipped) {
  Bytes chain = concat(
      {rawPayload(99, filled(16, 0)), rawPayload(kNotify, {1, 2, 3}), rawPayload(kNone, {0, 0, 0x40, 0x00})});
  auto decoded = decode(rawMessage(kNonce, chain));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->payloads.size(), 2u);
  EXPECT_EQ(decoded->payloads[0].type, PayloadType::Nonce);
  EXPECT_EQ(decoded->payloads[1].type, PayloadType::Notify);
  EXPECT_EQ(decoded->payloads[1].as<NotifyPayload>()->type, NotifyType::InitialContact);
}

TEST(ChainRejection, SkippedUnknownPayloadMustStillFitTheMessage) {
  Bytes chain = concat({rawPayload(99, filled(16, 0)), Bytes{0, 0, 0, 50}});
  expectMalformed(rawMessage(kNonce, chain),
                  "payload of unknown type 99: length 50 overruns the message (4 bytes left)");
}

TEST(ChainRejection, CriticalBitOnAKnownPayloadIsIgnored) {
  auto decoded = decode(rawMessage(kNonce, rawPayload(kNone, filled(16, 0), /*critical=*/true)));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
}

TEST(ChainRejection, EncryptedPayloadMustBeLast) {
  Bytes chain = concat({rawPayload(35, filled(40, 0)), rawPayload(kNone, filled(16, 0))});
  expectMalformed(rawMessage(kSk, chain, 35), "SK payload must be the last payload, but 20 bytes follow it");
}

TEST(ChainRejection, InnerChainIsCheckedAsStrictly) {
  auto truncated = decodeInner(PayloadType::Nonce, rawPayload(kNone, filled(15, 0)));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().message,
            "Nonce payload: nonce of 15 bytes (16 to 256 allowed, RFC 7296 §2.10)");
  auto trailing = decodeInner(PayloadType::Nonce, concat({rawPayload(kNone, filled(16, 0)), Bytes{0}}));
  ASSERT_FALSE(trailing.ok());
}

TEST(ChainRejection, EncryptedPayloadInsideAnEncryptedPayload) {
  auto inner = decodeInner(PayloadType::Encrypted, rawPayload(kNone, filled(32, 0)));
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().message, "SK payload inside an encrypted payload");
}

TEST(ChainRejection, UnknownCriticalPayloadInsideTheEncryptedPayload) {
  auto inner = decodeInner(static_cast<PayloadType>(200), rawPayload(kNone, {}, /*critical=*/true));
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().kind, DecodeError::Kind::UnsupportedCriticalPayload);
  EXPECT_EQ(inner.error().unsupportedPayloadType, 200);
}

// --- SA -----------------------------------------------------------------------------------------

TEST(SaRejection, ProposalNumbersOutOfSequence) {
  Bytes body = concat({proposal(2, 1, 1, {}, 2, twoTransforms()), proposal(0, 3, 1, {}, 2, twoTransforms())});
  expectMalformed(rawMessage(kSa, rawPayload(kNone, body)),
                  "SA payload: proposal 2: number 3 breaks the sequence 1, 2, 3...");
}

TEST(SaRejection, FirstOfSeveralProposalsMustBeNumberOne) {
  Bytes body = concat({proposal(2, 2, 1, {}, 2, twoTransforms()), proposal(0, 3, 1, {}, 2, twoTransforms())});
  expectMalformed(rawMessage(kSa, rawPayload(kNone, body)),
                  "SA payload: proposal 1: number 2 breaks the sequence");
}

TEST(SaRejection, ASingleAcceptedProposalKeepsItsOfferedNumber) {
  auto decoded = decode(rawMessage(kSa, rawPayload(kNone, proposal(0, 4, 1, {}, 2, twoTransforms()))));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->payloads[0].as<SecurityAssociationPayload>()->proposals[0].number, 4);
}

TEST(SaRejection, ProposalNumberZero) {
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 0, 1, {}, 2, twoTransforms()))),
                  "SA payload: proposal 1: proposal number 0");
}

TEST(SaRejection, TransformCountMismatch) {
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 1, {}, 3, twoTransforms()))),
                  "SA payload: proposal 1: announces 3 transforms, but holds 2");
}

TEST(SaRejection, LastTransformFlagWithMoreBytes) {
  Bytes transforms = concat({transform(0, 1, 20), transform(0, 4, 31)});
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 1, {}, 2, transforms))),
                  "SA payload: proposal 1: transform 1 says it is the last, but more bytes follow");
}

TEST(SaRejection, MoreProposalsAnnouncedButNoneFollows) {
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(2, 1, 1, {}, 2, twoTransforms()))),
                  "SA payload: proposal 1 announces more proposals, but the payload ends");
}

TEST(SaRejection, AttributeOverflowsTheTransform) {
  Bytes overflowing = {0x00, 0x00, 0x00, 0x12, 0x01, 0x00, 0x00, 0x0c,  // last, Length 18, ENCR id 12
                       0x00, 0x01, 0x00, 0x09,                          // TLV attribute type 1, length 9
                       1,    2,    3,    4,    5,    6};                // but only 6 bytes left
  Bytes transforms = concat({transform(3, 2, 5), transform(3, 4, 31), overflowing});
  DecodeError error = decodeError(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 1, {}, 3, transforms))));
  EXPECT_EQ(error.message,
            "SA payload: proposal 1: transform 3: attribute length 9 exceeds the transform (6 bytes left)");
}

TEST(SaRejection, TruncatedAttributeHeader) {
  Bytes transforms = transform(0, 1, 20, {0x80, 0x0e});
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 1, {}, 1, transforms))),
                  "transform 1: attribute header truncated (2 bytes left), 4 needed");
}

TEST(SaRejection, KeyLengthInTlvForm) {
  Bytes transforms = transform(0, 1, 12, {0x00, 0x0e, 0x00, 0x02, 0x01, 0x00});
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 1, {}, 1, transforms))),
                  "Key Length attribute must use the TV format");
}

TEST(SaRejection, TransformLengthOverrunsTheProposal) {
  Bytes transforms = transform(0, 1, 12);
  transforms[3] = 30;
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 1, {}, 1, transforms))),
                  "transform 1: length 30 exceeds the proposal (8 bytes left)");
}

TEST(SaRejection, EspProposalWithoutFourOctetSpi) {
  expectMalformed(rawMessage(kSa, rawPayload(kNone, proposal(0, 1, 3, {1, 2}, 2, twoTransforms()))),
                  "proposal 1: SPI size 2 for AH/ESP (4 expected)");
}

TEST(SaRejection, EmptySa) {
  expectMalformed(rawMessage(kSa, rawPayload(kNone, {})), "SA payload: no proposal");
}

// --- Traffic selectors --------------------------------------------------------------------------

Bytes ipv4Selector(std::uint8_t type = 7, std::uint16_t length = 16) {
  return {type,
          0,
          static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length),
          0,
          0,
          0xff,
          0xff,
          192,
          0,
          2,
          1,
          192,
          0,
          2,
          9};
}

TEST(TsRejection, UnknownSelectorType) {
  Bytes body = concat({Bytes{1, 0, 0, 0}, ipv4Selector(9)});
  expectMalformed(rawMessage(kTsi, rawPayload(kNone, body), 35),
                  "TSi payload: selector 1: unknown TS type 9");
}

TEST(TsRejection, SelectorLengthNotMatchingItsType) {
  Bytes body = concat({Bytes{1, 0, 0, 0}, ipv4Selector(7, 40)});
  expectMalformed(rawMessage(kTsi, rawPayload(kNone, body), 35),
                  "TSi payload: selector 1: selector length 40 does not match TS type 7 (16 expected)");
}

TEST(TsRejection, TruncatedSelector) {
  Bytes body = concat({Bytes{1, 0, 0, 0}, ipv4Selector()});
  body.pop_back();
  expectMalformed(rawMessage(kTsi, rawPayload(kNone, body), 35),
                  "selector 1: selector length 16 exceeds the payload (15 bytes left)");
}

TEST(TsRejection, SelectorCountMismatch) {
  Bytes body = concat({Bytes{2, 0, 0, 0}, ipv4Selector()});
  expectMalformed(rawMessage(kTsi, rawPayload(kNone, body), 35),
                  "TSi payload: announces 2 selectors, but holds 1");
}

// --- Nonce, Notify, Delete, EAP, SKF ------------------------------------------------------------

TEST(NonceRejection, TooShort) {
  expectMalformed(rawMessage(kNonce, rawPayload(kNone, filled(15, 0))), "Nonce payload: nonce of 15 bytes");
}

TEST(NonceRejection, TooLong) {
  expectMalformed(rawMessage(kNonce, rawPayload(kNone, filled(257, 0))), "Nonce payload: nonce of 257 bytes");
}

TEST(NonceRejection, BoundsAreAccepted) {
  EXPECT_TRUE(decode(rawMessage(kNonce, rawPayload(kNone, filled(16, 0)))).ok());
  EXPECT_TRUE(decode(rawMessage(kNonce, rawPayload(kNone, filled(256, 0)))).ok());
}

TEST(NotifyRejection, SpiSizeNotMatchingTheProtocol) {
  expectMalformed(rawMessage(kNotify, rawPayload(kNone, {3, 8, 0x40, 0x09, 1, 2, 3, 4, 5, 6, 7, 8})),
                  "Notify payload: SPI size 8 does not fit protocol id 3");
}

TEST(NotifyRejection, SpiLongerThanThePayload) {
  expectMalformed(rawMessage(kNotify, rawPayload(kNone, {3, 4, 0x40, 0x09, 1, 2})),
                  "Notify payload: SPI size 4 exceeds the payload (2 bytes left)");
}

TEST(DeleteRejection, SpiSizeMismatchForEsp) {
  expectMalformed(rawMessage(kDelete, rawPayload(kNone, {3, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8}), 37),
                  "Delete payload: SPI size 8 for AH/ESP (4 expected)");
}

TEST(DeleteRejection, IkeDeleteWithSpis) {
  expectMalformed(rawMessage(kDelete, rawPayload(kNone, {1, 4, 0, 1, 1, 2, 3, 4}), 37),
                  "Delete payload: IKE SA delete with SPI size 4 and 1 SPIs");
}

TEST(DeleteRejection, SpiCountNotMatchingTheLength) {
  expectMalformed(rawMessage(kDelete, rawPayload(kNone, {3, 4, 0, 2, 1, 2, 3, 4}), 37),
                  "Delete payload: 2 SPIs of 4 bytes do not fill the 4 bytes that follow");
}

TEST(EapRejection, EapLengthNotMatchingThePayload) {
  expectMalformed(rawMessage(kEap, rawPayload(kNone, {1, 1, 0, 9, 1}), 35),
                  "EAP payload: EAP Length 9 does not match the payload's 5 bytes");
}

Bytes fragmentBody(std::uint16_t number, std::uint16_t total) {
  return concat({Bytes{static_cast<std::uint8_t>(number >> 8), static_cast<std::uint8_t>(number),
                       static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total)},
                 filled(24, 0)});
}

TEST(FragmentRejection, FragmentNumberZero) {
  expectMalformed(rawMessage(kSkf, rawPayload(35, fragmentBody(0, 3)), 35),
                  "SKF payload: Fragment Number is 0");
}

TEST(FragmentRejection, FragmentNumberAboveTotal) {
  expectMalformed(rawMessage(kSkf, rawPayload(kNone, fragmentBody(4, 3)), 35),
                  "SKF payload: Fragment Number 4 exceeds Total Fragments 3");
}

TEST(FragmentRejection, TotalFragmentsZero) {
  expectMalformed(rawMessage(kSkf, rawPayload(kNone, fragmentBody(0, 0)), 35),
                  "SKF payload: Total Fragments is 0");
}

TEST(FragmentRejection, LaterFragmentNamingAnInnerPayload) {
  expectMalformed(rawMessage(kSkf, rawPayload(35, fragmentBody(2, 3)), 35),
                  "SKF payload: fragment 2 has Next Payload 35");
}

TEST(FragmentRejection, LastFragmentIsAccepted) {
  auto decoded = decode(rawMessage(kSkf, rawPayload(kNone, fragmentBody(3, 3)), 35));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const auto* fragment = decoded->payloads[0].as<EncryptedFragmentPayload>();
  ASSERT_NE(fragment, nullptr);
  EXPECT_EQ(fragment->fragmentNumber, 3);
  EXPECT_EQ(fragment->totalFragments, 3);
  EXPECT_EQ(fragment->body.size(), 24u);
}

}  // namespace
}  // namespace ikemesh::ike
