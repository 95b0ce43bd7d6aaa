// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "ike/engine/ProposalSelector.hpp"

namespace ikemesh::ike {
namespace {

TEST(ProposalSelector, ParsesLibreswanAeadIkeProposalWithSemicolonGroup) {
  auto specs = parseProposals("aes_gcm256-sha2_512;dh19", false);
  ASSERT_TRUE(specs) << specs.error().message;
  ASSERT_EQ(specs->size(), 1u);
  const auto& spec = specs->front();
  ASSERT_EQ(spec.encryption.size(), 1u);
  EXPECT_EQ(spec.encryption[0].algorithm, EncrAlgorithm::AesGcm16);
  EXPECT_EQ(spec.encryption[0].keyBits, 256);
  EXPECT_TRUE(spec.integrity.empty());
  EXPECT_EQ(spec.prf, std::vector<PrfAlgorithm>{PrfAlgorithm::HmacSha2_512});
  EXPECT_EQ(spec.groups, std::vector<DhGroup>{DhGroup::Ecp256});
}

TEST(ProposalSelector, ParsesLibreswanCbcIkeProposalWithIntegrityAsPrf) {
  auto specs = parseProposals("aes256-sha2_256-modp2048, aes128-sha2_512-dh31", false);
  ASSERT_TRUE(specs) << specs.error().message;
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0].integrity, std::vector<IntegAlgorithm>{IntegAlgorithm::HmacSha2_256_128});
  EXPECT_EQ((*specs)[0].prf, std::vector<PrfAlgorithm>{PrfAlgorithm::HmacSha2_256});
  EXPECT_EQ((*specs)[0].groups, std::vector<DhGroup>{DhGroup::Modp2048});
  EXPECT_EQ((*specs)[1].encryption[0].keyBits, 128);
  EXPECT_EQ((*specs)[1].groups, std::vector<DhGroup>{DhGroup::Curve25519});
}

TEST(ProposalSelector, DefaultsPutAesGcmAndCurve25519First) {
  auto ike = parseProposals("", false);
  ASSERT_TRUE(ike);
  EXPECT_EQ(ike->front().encryption.front().algorithm, EncrAlgorithm::AesGcm16);
  EXPECT_EQ(ike->front().groups.front(), DhGroup::Curve25519);
  auto esp = parseProposals("", true);
  ASSERT_TRUE(esp);
  EXPECT_TRUE(esp->front().groups.empty());
  EXPECT_EQ(esp->back().encryption.front().algorithm, EncrAlgorithm::AesCbc);
}

TEST(ProposalSelector, RejectsUnknownAlgorithmsNamingThem) {
  auto specs = parseProposals("3des-md5;modp1024", false);
  ASSERT_FALSE(specs);
  EXPECT_NE(specs.error().message.find("3des"), std::string::npos) << specs.error().message;
  EXPECT_FALSE(parseProposals("aes_gcm256-sha2_256", true)) << "AEAD ESP with integrity";
}

TEST(ProposalSelector, RefusalOfWeakOnlyOffersNamesEveryOfferedTransform) {
  // A weak-only offer like "3des-sha1-modp1024, aes128-sha1-modp2048" (RFC 7296 §3.3.2 IDs), named in
  // the order of the wire.
  auto transform = [](TransformType type, std::uint16_t id, std::optional<std::uint16_t> bits = {}) {
    Transform t{type, id, {}};
    if (bits) t.attributes.push_back(TransformAttribute::keyLength(*bits));
    return t;
  };
  SecurityAssociationPayload offer;
  offer.proposals.push_back(
      {1,
       ProtocolId::Ike,
       {},
       {transform(TransformType::Encryption, 3), transform(TransformType::PseudoRandomFunction, 2),
        transform(TransformType::Integrity, 2), transform(TransformType::KeyExchange, 2)}});
  offer.proposals.push_back(
      {2,
       ProtocolId::Ike,
       {},
       {transform(TransformType::Encryption, 12, 128), transform(TransformType::PseudoRandomFunction, 2),
        transform(TransformType::Integrity, 2), transform(TransformType::KeyExchange, 14)}});
  auto chosen = selectProposal(*parseProposals("", false), offer, ProtocolId::Ike, 2, false);
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().message,
            "proposal 1 (3DES, PRF-HMAC-SHA1, HMAC-SHA1-96, MODP-1024) matches none of ours; "
            "proposal 2 (AES-CBC_128, PRF-HMAC-SHA1, HMAC-SHA1-96, MODP-2048) matches none of ours");
}

TEST(ProposalSelector, ResponderPicksTheKeGroupWhenAcceptableElseAsksForItsOwn) {
  auto offer =
      toWireProposals(*parseProposals("aes_gcm256-sha2_512;dh31+dh19", false), ProtocolId::Ike, {}, true);
  auto ours = *parseProposals("aes_gcm128+aes_gcm256-sha2_512;dh19+dh31", false);
  auto chosen = selectProposal(ours, {offer}, ProtocolId::Ike, 19, false);
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ(*chosen->algorithms.group, DhGroup::Ecp256);
  EXPECT_FALSE(chosen->wantedGroup);
  auto only19 = *parseProposals("aes_gcm256-sha2_512;dh19", false);
  auto retry = selectProposal(only19, {offer}, ProtocolId::Ike, 31, false);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->wantedGroup, DhGroup::Ecp256);
}

TEST(ProposalSelector, InitiatorRefusesAnAnswerWithATransformItDidNotOffer) {
  auto offer = toWireProposals(*parseProposals("aes_gcm256-sha2_512;dh19", false), ProtocolId::Ike, {}, true);
  auto answer = answerProposal(NegotiatedAlgorithms{{EncrAlgorithm::AesGcm16, 128},
                                                    IntegAlgorithm::None,
                                                    PrfAlgorithm::HmacSha2_512,
                                                    DhGroup::Ecp256,
                                                    1,
                                                    {}},
                               ProtocolId::Ike, {});
  auto accepted = acceptedProposal(offer, {{answer}}, ProtocolId::Ike);
  ASSERT_FALSE(accepted);
  EXPECT_NE(accepted.error().message.find("not offered"), std::string::npos) << accepted.error().message;
}

}  // namespace
}  // namespace ikemesh::ike
