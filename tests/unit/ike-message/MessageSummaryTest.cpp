// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "SampleMessages.hpp"
#include "ike/message/MessageSummary.hpp"

namespace ikemesh::ike {
namespace {

using test::filled;
using test::sampleHeader;

TEST(MessageSummary, NamesEncryptedPayloadWhenNotDecrypted) {
  IkeHeader header = sampleHeader(ExchangeType::IkeAuth);
  header.messageId = 1;
  Message message{header,
                  {{PayloadType::Encrypted, EncryptedPayload{PayloadType::IdInitiator, filled(40, 0)}}}};
  EXPECT_EQ(summarize(message), "IKE_AUTH request 1 [ SK ]");
}

TEST(MessageSummary, ListsDecryptedPayloadsInPlaceOfSk) {
  IkeHeader header = sampleHeader(ExchangeType::IkeAuth);
  header.messageId = 1;
  header.response = true;
  header.initiator = false;
  Message message{header,
                  {{PayloadType::Encrypted, EncryptedPayload{PayloadType::IdResponder, filled(40, 0)}}}};
  std::vector<Payload> inner = {
      {PayloadType::IdResponder, IdentificationPayload{IdType::Fqdn, {'b'}}},
      {PayloadType::Authentication, AuthenticationPayload{AuthMethod::DigitalSignature, {1}}},
      {PayloadType::SecurityAssociation, SecurityAssociationPayload{}},
      {PayloadType::TsInitiator, TrafficSelectorPayload{}},
      {PayloadType::TsResponder, TrafficSelectorPayload{}},
      {PayloadType::Notify, NotifyPayload{ProtocolId::None, {}, static_cast<NotifyType>(40000), {}}},
  };
  EXPECT_EQ(summarize(message, inner), "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr N(40000) ]");
}

TEST(MessageSummary, FragmentsShowNumberAndTotal) {
  Message message{sampleHeader(ExchangeType::IkeAuth),
                  {{PayloadType::EncryptedFragment, EncryptedFragmentPayload{2, 3, PayloadType::None, {}}}}};
  EXPECT_EQ(summarize(message), "IKE_AUTH request 7 [ SKF(2/3) ]");
}

TEST(MessageSummary, EmptyInformationalIsALivenessCheck) {
  Message message{sampleHeader(ExchangeType::Informational),
                  {{PayloadType::Encrypted, EncryptedPayload{PayloadType::None, filled(24, 0)}}}};
  EXPECT_EQ(summarize(message, {}), "INFORMATIONAL request 7 [ ]");
}

TEST(MessageSummary, DeleteVendorIdAndConfiguration) {
  Message message{sampleHeader(ExchangeType::Informational),
                  {{PayloadType::Delete, DeletePayload{ProtocolId::Ike, {}}},
                   {PayloadType::VendorId, VendorIdPayload{{1}}},
                   {PayloadType::Configuration, ConfigurationPayload{ConfigurationType::Reply, {}}}}};
  EXPECT_EQ(summarize(message), "INFORMATIONAL request 7 [ D V CPRP ]");
}

TEST(NotifyNames, KnownTypesHaveIanaAndShortNames) {
  EXPECT_EQ(notifyTypeName(NotifyType::Ikev2FragmentationSupported), "IKEV2_FRAGMENTATION_SUPPORTED");
  EXPECT_EQ(notifyTypeName(NotifyType::SignatureHashAlgorithms), "SIGNATURE_HASH_ALGORITHMS");
  EXPECT_EQ(notifyTypeName(NotifyType::AuthenticationFailed), "AUTHENTICATION_FAILED");
  EXPECT_EQ(notifyTypeName(NotifyType::TemporaryFailure), "TEMPORARY_FAILURE");
  EXPECT_EQ(notifyTypeShortName(NotifyType::SignatureHashAlgorithms), "HASH_ALG");
  EXPECT_EQ(notifyTypeShortName(NotifyType::NoProposalChosen), "NO_PROP");
  EXPECT_EQ(static_cast<int>(NotifyType::Ikev2FragmentationSupported), 16430);
  EXPECT_EQ(static_cast<int>(NotifyType::SignatureHashAlgorithms), 16431);
}

TEST(NotifyNames, UnknownTypesAreNumbered) {
  EXPECT_EQ(notifyTypeName(static_cast<NotifyType>(2)), "UNKNOWN_NOTIFY_2");
  EXPECT_EQ(notifyTypeShortName(static_cast<NotifyType>(50000)), "50000");
}

TEST(NotifyNames, ErrorRangeEndsBelow16384) {
  EXPECT_TRUE(isErrorNotify(NotifyType::InvalidKePayload));
  EXPECT_FALSE(isErrorNotify(NotifyType::Cookie));
}

}  // namespace
}  // namespace ikemesh::ike
