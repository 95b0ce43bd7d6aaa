// SPDX-License-Identifier: GPL-2.0-or-later
// The cache of validated peer chains: a chain is found again only for the exact CERT payloads
// that validated, within its lifetime and the leaf's validity; it is bounded; and verifyPeer()
// with it still checks the ID and the AUTH signature of every exchange.
#include "CertificateIdentity.hpp"
#include "SignatureScheme.hpp"
#include "VerifiedChainCache.hpp"
#include "X509AuthMethod.hpp"
#include "X509Fixtures.hpp"

namespace ikemesh::authx509::testing {
namespace {

using Clock = VerifiedChainCache::Clock;
constexpr std::uint8_t kX509 = 4;
const std::vector<std::uint8_t> kOctets = {'s', 'i', 'g', 'n', 'e', 'd'};

std::vector<Certificate> payloadsOf(const std::string& nickname) {
  auto cert = certificate(nickname);
  return {{kX509, {cert->derCert.data, cert->derCert.data + cert->derCert.len}}};
}

std::shared_ptr<const VerifiedChainCache::Chain> chainOf(const std::string& nickname, Clock::time_point at) {
  auto cert = certificate(nickname);
  auto key = PeerPublicKey::from(UniquePublicKey(CERT_ExtractPublicKey(cert.get())));
  EXPECT_TRUE(key);
  return std::make_shared<VerifiedChainCache::Chain>(
      VerifiedChainCache::Chain{std::move(cert), std::move(*key), at});
}

/// What `nickname` sends in IKE_AUTH: its subject as ID, its certificate, its signature.
PeerClaim claimOf(const std::string& nickname) {
  auto cert = certificate(nickname);
  auto key = database().privateKey(cert.get());
  EXPECT_TRUE(key);
  auto signature = signAuthOctets(key->get(), RsaScheme::Pss, kOctets);
  EXPECT_TRUE(signature);
  return {{IdType::DerAsn1Dn, {cert->derSubject.data, cert->derSubject.data + cert->derSubject.len}},
          payloadsOf(nickname),
          *signature};
}

TEST(VerifiedChainCache, ChainIsFoundForTheSamePayloadsWithinItsLifetimeOnly) {
  VerifiedChainCache cache(std::chrono::seconds(10), 8);
  const auto t0 = Clock::now();
  cache.insert(payloadsOf("east"), chainOf("east", t0));
  auto found = cache.find(payloadsOf("east"), t0 + std::chrono::seconds(9));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(displayName(found->leaf->subject), "C=US, ST=NC, O=Example Organization, CN=east");
  EXPECT_EQ(cache.find(payloadsOf("east"), t0 + std::chrono::seconds(10)), nullptr);
}

TEST(VerifiedChainCache, OtherPayloadsMiss) {
  VerifiedChainCache cache(std::chrono::seconds(10), 8);
  const auto t0 = Clock::now();
  cache.insert(payloadsOf("east"), chainOf("east", t0));
  EXPECT_EQ(cache.find(payloadsOf("west"), t0), nullptr);
  auto withIntermediate = payloadsOf("east");
  withIntermediate.push_back(payloadsOf("intermediate").front());
  EXPECT_EQ(cache.find(withIntermediate, t0), nullptr);
  auto otherEncoding = payloadsOf("east");
  otherEncoding.front().encoding = 15;
  EXPECT_EQ(cache.find(otherEncoding, t0), nullptr);
  auto flipped = payloadsOf("east");
  flipped.front().data.back() ^= 0x01;
  EXPECT_EQ(cache.find(flipped, t0), nullptr);
}

TEST(VerifiedChainCache, ExpiredLeafIsNotFoundWithinTheLifetime) {
  VerifiedChainCache cache(std::chrono::seconds(10), 8);
  const auto t0 = Clock::now();
  cache.insert(payloadsOf("expired"), chainOf("expired", t0));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find(payloadsOf("expired"), t0), nullptr);
}

TEST(VerifiedChainCache, FullCacheDropsTheOldestChain) {
  VerifiedChainCache cache(std::chrono::hours(1), 2);
  const auto t0 = Clock::now();
  cache.insert(payloadsOf("east"), chainOf("east", t0));
  cache.insert(payloadsOf("west"), chainOf("west", t0 + std::chrono::seconds(1)));
  cache.insert(payloadsOf("north"), chainOf("north", t0 + std::chrono::seconds(2)));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find(payloadsOf("east"), t0 + std::chrono::seconds(2)), nullptr);
  EXPECT_NE(cache.find(payloadsOf("west"), t0 + std::chrono::seconds(2)), nullptr);
  EXPECT_NE(cache.find(payloadsOf("north"), t0 + std::chrono::seconds(2)), nullptr);
}

TEST(VerifiedChainCache, VerifyPeerKeepsAValidChainAndStillChecksEveryClaim) {
  VerifiedChainCache cache(std::chrono::seconds(10), 8);
  const auto claim = claimOf("east");
  auto first = verifyPeer(claim, kOctets, std::nullopt, &cache);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(cache.size(), 1u);
  // From the cache: the same answer, and a wrong signature, ID or rightid= is still refused.
  auto again = verifyPeer(claim, kOctets, std::nullopt, &cache);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->displayId, first->displayId);
  auto tampered = claim;
  tampered.auth.data.back() ^= 0x01;
  auto bad = verifyPeer(tampered, kOctets, std::nullopt, &cache);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("bad signature", 0), 0u) << bad.error().message;
  auto otherId = claim;
  otherId.id = claimOf("west").id;
  auto mismatch = verifyPeer(otherId, kOctets, std::nullopt, &cache);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message.rfind("ID mismatch", 0), 0u) << mismatch.error().message;
  auto wrongRightId = verifyPeer(claim, kOctets, std::string("@west.example.com"), &cache);
  ASSERT_FALSE(wrongRightId);
  EXPECT_EQ(wrongRightId.error().message.rfind("ID mismatch", 0), 0u) << wrongRightId.error().message;
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerifiedChainCache, ChainThatDoesNotValidateIsNotKept) {
  VerifiedChainCache cache(std::chrono::seconds(10), 8);
  auto revoked = verifyPeer(claimOf("revoked"), kOctets, std::nullopt, &cache);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().message.rfind("revoked", 0), 0u) << revoked.error().message;
  auto tampered = claimOf("east");
  tampered.auth.data.back() ^= 0x01;
  EXPECT_FALSE(verifyPeer(tampered, kOctets, std::nullopt, &cache));
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace ikemesh::authx509::testing
