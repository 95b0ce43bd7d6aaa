// SPDX-License-Identifier: GPL-2.0-or-later
// AUTH signatures: RFC 7427 Digital Signature with RSA-PSS and ECDSA, RFC 7296 method 1, and
// RFC 4754 methods 9/10, each checked against the right key and refused with a wrong one.
#include <cryptohi.h>

#include "SignatureScheme.hpp"
#include "X509Fixtures.hpp"

namespace ikemesh::authx509::testing {
namespace {

const std::vector<std::uint8_t> kOctets = {'s', 'i', 'g', 'n', 'e', 'd', ' ', 'o', 'c', 't', 'e', 't', 's'};

struct KeyPair {
  UniquePrivateKey privateKey;
  UniquePublicKey publicKey;
};

KeyPair keysOf(const std::string& nickname) {
  auto cert = certificate(nickname);
  auto key = database().privateKey(cert.get());
  EXPECT_TRUE(key) << key.error().message;
  return {key ? std::move(*key) : nullptr, UniquePublicKey(CERT_ExtractPublicKey(cert.get()))};
}

/// The AlgorithmIdentifier of an RFC 7427 AUTH payload.
std::vector<std::uint8_t> algorithmOf(const AuthPayload& auth) {
  return {auth.data.begin() + 1, auth.data.begin() + 1 + auth.data[0]};
}

TEST(SignatureScheme, RsaPssIsDigitalSignatureThatVerifiesWithTheCertificateKey) {
  auto east = keysOf("east");
  auto signature = signAuthOctets(east.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->method, AuthMethodId::DigitalSignature);
  // RFC 7427 Appendix A.4.3 (RSASSA-PSS, SHA-256): 0x30 0x41 ... OID 1.2.840.113549.1.1.10
  const auto algorithm = algorithmOf(*signature);
  ASSERT_EQ(algorithm.size(), 0x43u);
  EXPECT_EQ(algorithm[12], 0x0a);
  EXPECT_EQ(signature->data.size(), 1 + 0x43 + 256u);  // RSA-2048
  EXPECT_TRUE(verifyAuthOctets(east.publicKey.get(), *signature, kOctets));
}

TEST(SignatureScheme, FlippedBitIsABadSignature) {
  auto east = keysOf("east");
  auto signature = signAuthOctets(east.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature);
  signature->data.back() ^= 0x01;
  auto verified = verifyAuthOctets(east.publicKey.get(), *signature, kOctets);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().message.rfind("bad signature", 0), 0u) << verified.error().message;
}

TEST(SignatureScheme, OtherOctetsOrOtherKeyAreBadSignatures) {
  auto east = keysOf("east");
  auto west = keysOf("west");
  auto signature = signAuthOctets(east.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature);
  auto other = kOctets;
  other[0] = 'S';
  EXPECT_FALSE(verifyAuthOctets(east.publicKey.get(), *signature, other));
  EXPECT_FALSE(verifyAuthOctets(west.publicKey.get(), *signature, kOctets));
}

TEST(SignatureScheme, Pkcs1SchemeIsAuthMethod1WithSha1DigestInfo) {
  auto west = keysOf("west");
  auto signature = signAuthOctets(west.privateKey.get(), RsaScheme::Pkcs1, kOctets);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->method, AuthMethodId::RsaSignature);
  EXPECT_EQ(signature->data.size(), 384u);  // RSA-3072, no AlgorithmIdentifier
  EXPECT_TRUE(verifyAuthOctets(west.publicKey.get(), *signature, kOctets));
  auto east = keysOf("east");
  EXPECT_FALSE(verifyAuthOctets(east.publicKey.get(), *signature, kOctets));
}

TEST(SignatureScheme, EcdsaP256SignsWithSha256AndDerSignature) {
  auto north = keysOf("north");
  auto signature = signAuthOctets(north.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->method, AuthMethodId::DigitalSignature);
  // RFC 7427 Appendix A.3.1: ecdsa-with-SHA256.
  const std::vector<std::uint8_t> sha256 = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                            0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
  EXPECT_EQ(algorithmOf(*signature), sha256);
  EXPECT_EQ(signature->data[1 + sha256.size()], 0x30) << "Ecdsa-Sig-Value is a DER SEQUENCE";
  EXPECT_TRUE(verifyAuthOctets(north.publicKey.get(), *signature, kOctets));
}

TEST(SignatureScheme, EcdsaP384SignsWithSha384) {
  auto south = keysOf("south");
  auto signature = signAuthOctets(south.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(algorithmOf(*signature).back(), 0x03);  // ecdsa-with-SHA384
  EXPECT_TRUE(verifyAuthOctets(south.publicKey.get(), *signature, kOctets));
}

TEST(SignatureScheme, Rfc4754Method9IsAcceptedForP256AndMethod10IsNot) {
  auto north = keysOf("north");
  auto signature = signAuthOctets(north.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature);
  std::vector<std::uint8_t> der(signature->data.begin() + 1 + signature->data[0], signature->data.end());
  SECItem derItem{siBuffer, der.data(), static_cast<unsigned>(der.size())};
  SECItem* raw = DSAU_DecodeDerSigToLen(&derItem, 64);
  ASSERT_NE(raw, nullptr);
  AuthPayload rfc4754{AuthMethodId::EcdsaP256Sha256, {raw->data, raw->data + raw->len}};
  SECITEM_FreeItem(raw, PR_TRUE);
  EXPECT_TRUE(verifyAuthOctets(north.publicKey.get(), rfc4754, kOctets));
  rfc4754.method = AuthMethodId::EcdsaP384Sha384;
  EXPECT_FALSE(verifyAuthOctets(north.publicKey.get(), rfc4754, kOctets));
}

TEST(SignatureScheme, EcdsaChecksRefuseAChangedSignatureOtherOctetsAnotherKeyAndBadLengths) {
  auto north = keysOf("north");
  auto south = keysOf("south");
  auto signature = signAuthOctets(north.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(signature);
  auto peer = PeerPublicKey::copyOf(north.publicKey.get());
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_TRUE(verifyAuthOctets(*peer, *signature, kOctets));
  auto flipped = *signature;
  flipped.data.back() ^= 0x01;
  auto refused = verifyAuthOctets(*peer, flipped, kOctets);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("bad signature"), std::string::npos) << refused.error().message;
  auto other = kOctets;
  other[0] ^= 0x20;
  EXPECT_FALSE(verifyAuthOctets(*peer, *signature, other));
  EXPECT_FALSE(verifyAuthOctets(south.publicKey.get(), *signature, kOctets));
  // RFC 4754 r|s: 64 octets for P-256; zeros (r = s = 0) are never valid.
  std::vector<std::uint8_t> digest(32, 0x5a);
  EXPECT_FALSE(peer->verifyEcdsa(digest, std::vector<std::uint8_t>(64, 0)));
  EXPECT_FALSE(peer->verifyEcdsa(digest, std::vector<std::uint8_t>(63, 1)));
  EXPECT_FALSE(peer->verifyEcdsa(digest, {}));
  AuthPayload shortRaw{AuthMethodId::EcdsaP256Sha256, std::vector<std::uint8_t>(62, 1)};
  EXPECT_FALSE(verifyAuthOctets(*peer, shortRaw, kOctets));
}

TEST(SignatureScheme, SignatureOfOneKeyTypeIsRefusedForTheOther) {
  auto east = keysOf("east");
  auto north = keysOf("north");
  auto rsa = signAuthOctets(east.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(rsa);
  EXPECT_FALSE(verifyAuthOctets(north.publicKey.get(), *rsa, kOctets));
  auto ecdsa = signAuthOctets(north.privateKey.get(), RsaScheme::Pss, kOctets);
  ASSERT_TRUE(ecdsa);
  EXPECT_FALSE(verifyAuthOctets(east.publicKey.get(), *ecdsa, kOctets));
}

TEST(SignatureScheme, SharedKeyAndNullMethodsAreRefused) {
  auto east = keysOf("east");
  auto refused =
      verifyAuthOctets(east.publicKey.get(), AuthPayload{AuthMethodId::SharedKeyMic, {1, 2, 3}}, kOctets);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("AUTH method 2"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(
      verifyAuthOctets(east.publicKey.get(), AuthPayload{AuthMethodId::DigitalSignature, {}}, kOctets));
  EXPECT_FALSE(verifyAuthOctets(east.publicKey.get(),
                                AuthPayload{AuthMethodId::DigitalSignature, {0x40, 0x30}}, kOctets));
}

}  // namespace
}  // namespace ikemesh::authx509::testing
