// SPDX-License-Identifier: GPL-2.0-or-later
// Our key signing in libcrypto: a key of NSS's software token is copied there and makes the
// signatures NSS would (byte for byte where the scheme is deterministic, otherwise ones NSS
// verifies); a key marked unextractable keeps signing in NSS.
#include <cryptohi.h>

#include "SignatureScheme.hpp"
#include "SigningKey.hpp"
#include "X509Fixtures.hpp"

namespace ikemesh::authx509::testing {
namespace {

const std::vector<std::uint8_t> kOctets = {'s', 'i', 'g', 'n', 'e', 'd', ' ', 'o', 'c', 't', 'e', 't', 's'};

std::shared_ptr<SECKEYPrivateKey> nssKeyOf(const std::string& nickname) {
  auto cert = certificate(nickname);
  auto key = database().privateKey(cert.get());
  EXPECT_TRUE(key) << key.error().message;
  return std::shared_ptr<SECKEYPrivateKey>(key ? key->release() : nullptr, PrivateKeyDeleter{});
}

UniquePublicKey publicKeyOf(const std::string& nickname) {
  return UniquePublicKey(CERT_ExtractPublicKey(certificate(nickname).get()));
}

std::vector<std::uint8_t> sha(SECOidTag hash, std::size_t length) {
  std::vector<std::uint8_t> out(length);
  EXPECT_EQ(PK11_HashBuf(hash, out.data(), kOctets.data(), static_cast<PRInt32>(kOctets.size())), SECSuccess);
  return out;
}

/// NSS's own check of a raw signature (r|s for ECDSA) over `digest`.
bool nssVerifies(SECKEYPublicKey* key, std::vector<std::uint8_t> signature,
                 std::vector<std::uint8_t> digest) {
  SECItem signatureItem{siBuffer, signature.data(), static_cast<unsigned>(signature.size())};
  SECItem digestItem{siBuffer, digest.data(), static_cast<unsigned>(digest.size())};
  return PK11_Verify(key, &signatureItem, &digestItem, nullptr) == SECSuccess;
}

TEST(SigningKey, RsaKeyOfTheSoftwareTokenSignsInLibcryptoAsNssWould) {
  auto nssKey = nssKeyOf("west");
  const auto copied = SigningKey::preferLibcrypto(nssKey);
  ASSERT_TRUE(copied.signsInLibcrypto()) << copied.why();
  EXPECT_EQ(copied.signatureLength(), 384);  // RSA-3072
  // RSASSA-PKCS1-v1_5 is deterministic: libcrypto's signature must be NSS's, octet for octet.
  auto fromLibcrypto = signAuthOctets(copied, RsaScheme::Pkcs1, kOctets);
  auto fromNss = signAuthOctets(nssKey.get(), RsaScheme::Pkcs1, kOctets);
  ASSERT_TRUE(fromLibcrypto) << fromLibcrypto.error().message;
  ASSERT_TRUE(fromNss) << fromNss.error().message;
  EXPECT_EQ(fromLibcrypto->method, AuthMethodId::RsaSignature);
  EXPECT_EQ(fromLibcrypto->data, fromNss->data);
}

TEST(SigningKey, RsaPssFromLibcryptoVerifiesInNssAndIsFreshEachTime) {
  const auto copied = SigningKey::preferLibcrypto(nssKeyOf("east"));
  ASSERT_TRUE(copied.signsInLibcrypto()) << copied.why();
  auto first = signAuthOctets(copied, RsaScheme::Pss, kOctets);
  auto second = signAuthOctets(copied, RsaScheme::Pss, kOctets);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second);
  EXPECT_NE(first->data, second->data) << "PSS with 32 octets of random salt";
  auto east = publicKeyOf("east");
  EXPECT_TRUE(verifyAuthOctets(east.get(), *first, kOctets));  // NSS checks RSA signatures
  auto other = kOctets;
  other.back() ^= 1;
  EXPECT_FALSE(verifyAuthOctets(east.get(), *first, other));
  // With the parameters RFC 7427 names: SHA2-256, MGF1-SHA2-256, salt 32.
  auto digest = sha(SEC_OID_SHA256, 32);
  auto raw = copied.signRsaPssSha256(digest);
  ASSERT_TRUE(raw);
  CK_RSA_PKCS_PSS_PARAMS params{CKM_SHA256, CKG_MGF1_SHA256, 32};
  SECItem paramItem{siBuffer, reinterpret_cast<unsigned char*>(&params), sizeof params};
  SECItem signatureItem{siBuffer, raw->data(), static_cast<unsigned>(raw->size())};
  SECItem digestItem{siBuffer, digest.data(), static_cast<unsigned>(digest.size())};
  EXPECT_EQ(PK11_VerifyWithMechanism(east.get(), CKM_RSA_PKCS_PSS, &paramItem, &signatureItem, &digestItem,
                                     nullptr),
            SECSuccess);
}

TEST(SigningKey, EcdsaFromLibcryptoIsRawRAndSThatNssVerifies) {
  for (const auto& [nickname, hash, hashLength, rawLength] :
       {std::tuple{"north", SEC_OID_SHA256, 32u, 64}, std::tuple{"south", SEC_OID_SHA384, 48u, 96}}) {
    SCOPED_TRACE(nickname);
    const auto copied = SigningKey::preferLibcrypto(nssKeyOf(nickname));
    ASSERT_TRUE(copied.signsInLibcrypto()) << copied.why();
    EXPECT_EQ(copied.type(), ecKey);
    const auto digest = sha(hash, hashLength);
    auto raw = copied.signRaw(digest);
    ASSERT_TRUE(raw) << raw.error().message;
    EXPECT_EQ(static_cast<int>(raw->size()), rawLength);
    auto key = publicKeyOf(nickname);
    EXPECT_TRUE(nssVerifies(key.get(), *raw, digest));
    auto changed = *raw;
    changed[5] ^= 0x40;
    EXPECT_FALSE(nssVerifies(key.get(), changed, digest));
    // And as the AUTH payload, through the same check a peer's signature gets.
    auto auth = signAuthOctets(copied, RsaScheme::Pss, kOctets);
    ASSERT_TRUE(auth);
    EXPECT_TRUE(verifyAuthOctets(key.get(), *auth, kOctets));
  }
}

TEST(SigningKey, KeyMarkedUnextractableSignsInNss) {
  // A P-256 key generated unextractable in the software token (NSS would export even that:
  // the attribute is what counts).
  (void)database();  // NSS initialised
  UniqueSlot slot(PK11_GetInternalSlot());
  ASSERT_TRUE(slot);
  const std::vector<std::uint8_t> p256 = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  SECItem params{siBuffer, const_cast<unsigned char*>(p256.data()), static_cast<unsigned>(p256.size())};
  SECKEYPublicKey* rawPublic = nullptr;
  SECKEYPrivateKey* rawPrivate = PK11_GenerateKeyPairWithFlags(
      slot.get(), CKM_EC_KEY_PAIR_GEN, &params, &rawPublic,
      PK11_ATTR_SESSION | PK11_ATTR_SENSITIVE | PK11_ATTR_UNEXTRACTABLE, nullptr);
  ASSERT_NE(rawPrivate, nullptr) << nssErrorText();
  UniquePublicKey publicKey(rawPublic);
  const auto key =
      SigningKey::preferLibcrypto(std::shared_ptr<SECKEYPrivateKey>(rawPrivate, PrivateKeyDeleter{}));
  EXPECT_FALSE(key.signsInLibcrypto());
  EXPECT_EQ(key.why().rfind("signs in NSS: the key is marked unextractable", 0), 0u) << key.why();
  const auto digest = sha(SEC_OID_SHA256, 32);
  auto raw = key.signRaw(digest);
  ASSERT_TRUE(raw) << raw.error().message;
  EXPECT_TRUE(nssVerifies(publicKey.get(), *raw, digest));
}

}  // namespace
}  // namespace ikemesh::authx509::testing
