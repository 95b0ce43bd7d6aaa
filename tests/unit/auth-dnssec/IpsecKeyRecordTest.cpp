// SPDX-License-Identifier: GPL-2.0-or-later
// IPSECKEY RDATA (RFC 4025 §2), key conversions both ways with NSS keys, reverse names, and
// the AUTH check against published keys (each record tried, lowest precedence first).
#include <gtest/gtest.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <secoid.h>

#include "DnssecAuthMethod.hpp"
#include "IpsecKeyRecord.hpp"
#include "PublicKeyRecord.hpp"
#include "PublishedKeyCheck.hpp"
#include "SignatureScheme.hpp"

namespace ikemesh::authdnssec {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct KeyPair {
  UniquePrivateKey privateKey;
  UniquePublicKey publicKey;
};

KeyPair generate(bool rsa) {
  UniqueSlot slot(PK11_GetInternalSlot());
  SECKEYPublicKey* pub = nullptr;
  SECKEYPrivateKey* priv = nullptr;
  if (rsa) {
    PK11RSAGenParams params{2048, 65537};
    priv = PK11_GenerateKeyPair(slot.get(), CKM_RSA_PKCS_KEY_PAIR_GEN, &params, &pub, PR_FALSE, PR_FALSE,
                                nullptr);
  } else {
    const SECOidData* curve = SECOID_FindOIDByTag(SEC_OID_ANSIX962_EC_PRIME256V1);
    Bytes der{0x06, static_cast<std::uint8_t>(curve->oid.len)};
    der.insert(der.end(), curve->oid.data, curve->oid.data + curve->oid.len);
    SECItem params{siBuffer, der.data(), static_cast<unsigned>(der.size())};
    priv = PK11_GenerateKeyPair(slot.get(), CKM_EC_KEY_PAIR_GEN, &params, &pub, PR_FALSE, PR_FALSE, nullptr);
  }
  return {UniquePrivateKey(priv), UniquePublicKey(pub)};
}

Bytes rdataOf(SECKEYPublicKey* key, std::uint8_t precedence = 10) {
  auto record = ipsecKeyRecordOf(key, precedence);
  EXPECT_TRUE(record) << record.error().message;
  return record ? encodeIpsecKeyRdata(*record) : Bytes{};
}

TEST(IpsecKeyRecord, ParsesEveryGatewayType) {
  const Bytes key = {0x01, 0x03, 0xaa, 0xbb};
  Bytes none = {10, 0, 2};
  none.insert(none.end(), key.begin(), key.end());
  auto parsed = parseIpsecKeyRdata(none);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->precedence, 10);
  EXPECT_EQ(parsed->algorithm, IpsecKeyAlgorithm::Rsa);
  EXPECT_EQ(parsed->publicKey, key);
  EXPECT_EQ(encodeIpsecKeyRdata(*parsed), none);

  auto v4 = parseIpsecKeyRdata(Bytes{10, 1, 3, 192, 0, 2, 1, 0x55});
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->gateway, (Bytes{192, 0, 2, 1}));
  EXPECT_EQ(v4->publicKey, Bytes{0x55});
  Bytes v6 = {10, 2, 3};
  v6.resize(3 + 16, 0x20);
  v6.push_back(0x66);
  auto parsedV6 = parseIpsecKeyRdata(v6);
  ASSERT_TRUE(parsedV6);
  EXPECT_EQ(parsedV6->gateway.size(), 16u);
  EXPECT_EQ(parsedV6->publicKey, Bytes{0x66});
  // RFC 4025 §2.5: an uncompressed wire name, gateway.example.
  auto named =
      parseIpsecKeyRdata(Bytes{10, 3, 2, 2, 'g', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x77});
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(named->gateway.size(), 12u);
  EXPECT_EQ(named->publicKey, Bytes{0x77});
}

TEST(IpsecKeyRecord, RefusesWhatDoesNotFitAndSaysWhich) {
  EXPECT_EQ(parseIpsecKeyRdata(Bytes{10, 0}).error().message,
            "IPSECKEY RDATA of 2 octets: shorter than its 3 fixed octets");
  EXPECT_NE(parseIpsecKeyRdata(Bytes{10, 1, 2, 192, 0}).error().message.find("4 octets expected, 2 left"),
            std::string::npos);
  EXPECT_NE(parseIpsecKeyRdata(Bytes{10, 4, 2}).error().message.find("gateway type 4"), std::string::npos);
  EXPECT_NE(parseIpsecKeyRdata(Bytes{10, 3, 2, 5, 'a'}).error().message.find("runs past"), std::string::npos);
  EXPECT_NE(parseIpsecKeyRdata(Bytes{10, 3, 2, 0xc0, 0x0c}).error().message.find("compression"),
            std::string::npos);
}

TEST(IpsecKeyRecord, KeyFieldsThatCannotBeAKeyAreRefused) {
  IpsecKeyRecord record;
  record.algorithm = IpsecKeyAlgorithm::Rsa;
  record.publicKey = {3, 1, 0, 1};  // an exponent and no modulus
  EXPECT_NE(subjectPublicKeyInfo(record).error().message.find("leaves no modulus"), std::string::npos);
  record.publicKey = {0};
  EXPECT_NE(subjectPublicKeyInfo(record).error().message.find("truncated exponent length"),
            std::string::npos);
  record.publicKey = Bytes(1 + 3 + 64, 0x42);
  record.publicKey[0] = 3;
  EXPECT_NE(subjectPublicKeyInfo(record).error().message.find("512 bits"), std::string::npos);
  record.algorithm = IpsecKeyAlgorithm::Ecdsa;
  record.publicKey = Bytes(65, 4);
  EXPECT_NE(subjectPublicKeyInfo(record).error().message.find("not a P-256 (64) or P-384 (96) point"),
            std::string::npos);
  record.algorithm = IpsecKeyAlgorithm::Dsa;
  EXPECT_NE(subjectPublicKeyInfo(record).error().message.find("DSA is not supported"), std::string::npos);
  record.algorithm = static_cast<IpsecKeyAlgorithm>(4);
  EXPECT_NE(subjectPublicKeyInfo(record).error().message.find("algorithm 4 is not supported"),
            std::string::npos);
}

TEST(IpsecKeyRecord, NssKeysGoThroughTheRecordAndBack) {
  for (bool rsa : {true, false}) {
    auto pair = generate(rsa);
    ASSERT_TRUE(pair.publicKey);
    auto record = ipsecKeyRecordOf(pair.publicKey.get(), 10);
    ASSERT_TRUE(record) << record.error().message;
    EXPECT_EQ(record->algorithm, rsa ? IpsecKeyAlgorithm::Rsa : IpsecKeyAlgorithm::Ecdsa);
    if (rsa) {
      EXPECT_EQ(record->publicKey[0], 3);  // RFC 3110: 65537 in three octets
    }
    auto spki = subjectPublicKeyInfo(*record);
    ASSERT_TRUE(spki) << spki.error().message;
    SECItem item{siBuffer, spki->data(), static_cast<unsigned>(spki->size())};
    CERTSubjectPublicKeyInfo* decoded = SECKEY_DecodeDERSubjectPublicKeyInfo(&item);
    ASSERT_NE(decoded, nullptr);
    UniquePublicKey back(SECKEY_ExtractPublicKey(decoded));
    SECKEY_DestroySubjectPublicKeyInfo(decoded);
    ASSERT_TRUE(back);
    if (rsa) {
      EXPECT_EQ(SECITEM_CompareItem(&back->u.rsa.modulus, &pair.publicKey->u.rsa.modulus), SECEqual);
    } else {
      EXPECT_EQ(SECITEM_CompareItem(&back->u.ec.publicValue, &pair.publicKey->u.ec.publicValue), SECEqual);
    }
  }
}

TEST(IpsecKeyRecord, PresentationAndBase64) {
  // RFC 4648 §10 test vectors.
  const std::string foobar = "foobar";
  for (std::size_t n = 0; n <= foobar.size(); ++n) {
    static const char* kExpected[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    EXPECT_EQ(base64({reinterpret_cast<const std::uint8_t*>(foobar.data()), n}), kExpected[n]);
  }
  IpsecKeyRecord record{10, 0, IpsecKeyAlgorithm::Ecdsa, {}, {0xd9, 0x1e}};
  EXPECT_EQ(presentationOf(record), "10 0 3 . 2R4=");
}

TEST(IpsecKeyRecord, ReverseNames) {
  EXPECT_EQ(reverseName(Bytes{10, 15, 1, 7}), "7.1.15.10.in-addr.arpa.");
  auto v6 = IpAddress::parse("2001:db8::567:89ab");
  ASSERT_TRUE(v6);
  EXPECT_EQ(
      reverseName({v6->data(), v6->size()}),
      "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");  // RFC 3596 §2.5 style
}

TEST(PublishedName, AddressIdsMustBeThePeersAddressFqdnsAreAsSent) {
  const auto peer = *IpAddress::parse("10.15.1.7");
  EXPECT_EQ(*publishedName({IdType::Ipv4Address, {10, 15, 1, 7}}, peer), "7.1.15.10.in-addr.arpa.");
  auto other = publishedName({IdType::Ipv4Address, {10, 15, 1, 8}}, peer);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message, "ID mismatch: the peer's ID '10.15.1.8' is not its address 10.15.1.7");
  const std::string fqdn = "n3.mesh.test";
  EXPECT_EQ(*publishedName({IdType::Fqdn, Bytes(fqdn.begin(), fqdn.end())}, peer), "n3.mesh.test.");
  EXPECT_FALSE(publishedName({IdType::DerAsn1Dn, {0x30, 0}}, peer));
  EXPECT_EQ(displayIdentity({IdType::Fqdn, Bytes(fqdn.begin(), fqdn.end())}), "@n3.mesh.test");
}

class PublishedKeyCheck : public ::testing::Test {
 protected:
  const Bytes octets_ = Bytes(200, 0x5a);
};

TEST_F(PublishedKeyCheck, EverySignatureFormVerifiesWithTheRecordOfItsKey) {
  auto rsa = generate(true);
  auto ec = generate(false);
  struct Case {
    KeyPair* pair;
    authx509::RsaScheme scheme;
    AuthMethodId method;
  };
  for (const auto& c : {Case{&rsa, authx509::RsaScheme::Pss, AuthMethodId::DigitalSignature},
                        Case{&rsa, authx509::RsaScheme::Pkcs1, AuthMethodId::RsaSignature},
                        Case{&ec, authx509::RsaScheme::Pss, AuthMethodId::DigitalSignature}}) {
    auto auth = authx509::signAuthOctets(c.pair->privateKey.get(), c.scheme, octets_);
    ASSERT_TRUE(auth) << auth.error().message;
    EXPECT_EQ(auth->method, c.method);
    auto checked =
        verifyWithPublishedKeys({rdataOf(c.pair->publicKey.get())}, *auth, octets_, "n.mesh.test.");
    EXPECT_TRUE(checked) << checked.error().message;
    Bytes tampered = octets_;
    tampered[0] ^= 1;
    auto refused =
        verifyWithPublishedKeys({rdataOf(c.pair->publicKey.get())}, *auth, tampered, "n.mesh.test.");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message.rfind("bad signature: ", 0), 0u) << refused.error().message;
  }
}

TEST_F(PublishedKeyCheck, EachRecordIsTriedInOrderOfPrecedence) {
  auto signer = generate(false);
  auto other = generate(false);
  auto auth = authx509::signAuthOctets(signer.privateKey.get(), authx509::RsaScheme::Pss, octets_);
  ASSERT_TRUE(auth);
  // The other key first (and preferred), a record that is not a key, then the signer's key.
  auto checked = verifyWithPublishedKeys(
      {rdataOf(other.publicKey.get(), 5), Bytes{1, 0, 1, 0xff}, rdataOf(signer.publicKey.get(), 20)}, *auth,
      octets_, "n.mesh.test.");
  EXPECT_TRUE(checked) << checked.error().message;
  auto wrong = verifyWithPublishedKeys({rdataOf(other.publicKey.get(), 5), Bytes{1, 0, 1, 0xff}}, *auth,
                                       octets_, "n.mesh.test.");
  ASSERT_FALSE(wrong);
  const auto& message = wrong.error().message;
  EXPECT_NE(message.find("IPSECKEY 1 of 2 (precedence 1): IPSECKEY with a DSA key"), std::string::npos)
      << message;
  EXPECT_NE(message.find("IPSECKEY 2 of 2 (precedence 5): bad signature"), std::string::npos) << message;
  EXPECT_EQ(verifyWithPublishedKeys({}, *auth, octets_, "n.mesh.test.").error().message,
            "no IPSECKEY record for n.mesh.test.");
}

}  // namespace
}  // namespace ikemesh::authdnssec
