// SPDX-License-Identifier: GPL-2.0-or-later
// Our RFC 7427 signatures verified by another implementation (the openssl command, whose
// library strongSwan uses): RSA-PSS with SHA2-256, MGF1-SHA2-256 and 32 octets of salt, and
// DER ECDSA with SHA2-256, each also refused by openssl over other octets.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <cryptohi.h>

#include "SignatureScheme.hpp"
#include "X509Fixtures.hpp"

namespace ikemesh::authx509::testing {
namespace {

namespace fs = std::filesystem;

class OpenSslCrossCheck : public ::testing::Test {
 protected:
  OpenSslCrossCheck() {
    char pattern[] = "/tmp/ikemesh-openssl-XXXXXX";
    directory_ = ::mkdtemp(pattern);
  }
  ~OpenSslCrossCheck() override { fs::remove_all(directory_); }

  std::string write(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const std::string path = directory_ + "/" + name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  /// Signs `octets` with `nickname`'s key and returns whether `openssl dgst -verify` with
  /// `options` accepts the signature over `checked`, using the public key of the certificate.
  bool opensslAccepts(const std::string& nickname, const std::vector<std::uint8_t>& octets,
                      const std::vector<std::uint8_t>& checked, const std::string& options) {
    auto cert = certificate(nickname);
    auto key = database().privateKey(cert.get());
    EXPECT_TRUE(key);
    auto auth = signAuthOctets(key->get(), RsaScheme::Pss, octets);
    EXPECT_TRUE(auth) << (auth ? "" : auth.error().message);
    if (!auth) return false;
    // RFC 7427 §3: the signature follows the length-prefixed AlgorithmIdentifier.
    const std::vector<std::uint8_t> signature(auth->data.begin() + 1 + auth->data[0], auth->data.end());
    const auto certificatePath =
        write("cert.der", {cert->derCert.data, cert->derCert.data + cert->derCert.len});
    const std::string publicKey = directory_ + "/public.pem";
    const std::string extract =
        "openssl x509 -inform DER -in " + certificatePath + " -pubkey -noout > " + publicKey;
    EXPECT_EQ(std::system(extract.c_str()), 0) << extract;
    const std::string verify = "openssl dgst -sha256 " + options + " -verify " + publicKey + " -signature " +
                               write("signature", signature) + " " + write("data", checked) +
                               " >/dev/null 2>&1";
    return std::system(verify.c_str()) == 0;
  }

  /// openssl's signature with `options` over `octets` by `nickname`'s key (from its .p12).
  std::vector<std::uint8_t> opensslSignature(const std::string& digest, const std::string& options,
                                             const std::vector<std::uint8_t>& octets,
                                             const std::string& nickname = "east") {
    const std::string fixtures = fixtureDirectory();
    const std::string key = directory_ + "/" + nickname + ".key";
    const std::string exportKey = "openssl pkcs12 -in " + fixtures + "/" + nickname +
                                  ".p12 -nocerts -nodes -passin file:" + fixtures + "/p12-password -out " +
                                  key + " 2>/dev/null";
    EXPECT_EQ(std::system(exportKey.c_str()), 0) << exportKey;
    const std::string signature = directory_ + "/openssl-signature";
    const std::string sign = "openssl dgst -" + digest + " " + options + " -sign " + key + " -out " +
                             signature + " " + write("data", octets);
    EXPECT_EQ(std::system(sign.c_str()), 0) << sign;
    std::ifstream in(signature, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::string directory_;
};

const std::vector<std::uint8_t> kOctets = {'I', 'K', 'E', 'v', '2', ' ', 'A', 'U', 'T', 'H'};
const std::vector<std::uint8_t> kOther = {'I', 'K', 'E', 'v', '2', ' ', 'A', 'U', 'T', 'h'};
const std::string kPss = "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256";

TEST_F(OpenSslCrossCheck, OpenSslVerifiesOurRsaPssSignature) {
  EXPECT_TRUE(opensslAccepts("east", kOctets, kOctets, kPss));
  EXPECT_FALSE(opensslAccepts("east", kOctets, kOther, kPss));
}

TEST_F(OpenSslCrossCheck, OpenSslVerifiesOurEcdsaP256Signature) {
  EXPECT_TRUE(opensslAccepts("north", kOctets, kOctets, ""));
  EXPECT_FALSE(opensslAccepts("north", kOctets, kOther, ""));
}

TEST_F(OpenSslCrossCheck, WeVerifyOpenSslRsaPssAndPkcs1Signatures) {
  auto east = certificate("east");
  UniquePublicKey key(CERT_ExtractPublicKey(east.get()));
  // RFC 7427 §3 and Appendix A.4.3: the length (67), then RSASSA-PSS, SHA2-256, MGF1-SHA2-256,
  // salt 32.
  std::vector<std::uint8_t> pss = {
      0x43, 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0,
      0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1,
      0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06,
      0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
  auto signature = opensslSignature("sha256", kPss, kOctets);
  ASSERT_EQ(signature.size(), 256u);
  pss.insert(pss.end(), signature.begin(), signature.end());
  AuthPayload auth{AuthMethodId::DigitalSignature, pss};
  auto accepted = verifyAuthOctets(key.get(), auth, kOctets);
  EXPECT_TRUE(accepted) << (accepted ? "" : accepted.error().message);
  EXPECT_FALSE(verifyAuthOctets(key.get(), auth, kOther));
  // AUTH method 1: RSASSA-PKCS1-v1_5 with SHA-1, as RFC 7296 §3.8 peers send it.
  AuthPayload method1{AuthMethodId::RsaSignature, opensslSignature("sha1", "", kOctets)};
  EXPECT_TRUE(verifyAuthOctets(key.get(), method1, kOctets));
  EXPECT_FALSE(verifyAuthOctets(key.get(), method1, kOther));
}

TEST_F(OpenSslCrossCheck, WeVerifyOpenSslEcdsaSignatures) {
  // The DER Ecdsa-Sig-Value openssl makes, as RFC 7427 carries it (ecdsa-with-SHA256), and as
  // RFC 4754's r|s (AUTH method 9).
  auto north = certificate("north");
  UniquePublicKey key(CERT_ExtractPublicKey(north.get()));
  const std::vector<std::uint8_t> ecdsaSha256 = {0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                                 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
  const auto der = opensslSignature("sha256", "", kOctets, "north");
  ASSERT_GT(der.size(), 8u);
  std::vector<std::uint8_t> data = ecdsaSha256;
  data.insert(data.end(), der.begin(), der.end());
  AuthPayload auth{AuthMethodId::DigitalSignature, data};
  auto accepted = verifyAuthOctets(key.get(), auth, kOctets);
  EXPECT_TRUE(accepted) << (accepted ? "" : accepted.error().message);
  EXPECT_FALSE(verifyAuthOctets(key.get(), auth, kOther));
  SECItem derItem{siBuffer, const_cast<unsigned char*>(der.data()), static_cast<unsigned>(der.size())};
  SECItem* raw = DSAU_DecodeDerSigToLen(&derItem, 64);
  ASSERT_NE(raw, nullptr);
  AuthPayload method9{AuthMethodId::EcdsaP256Sha256, {raw->data, raw->data + raw->len}};
  SECITEM_FreeItem(raw, PR_TRUE);
  EXPECT_TRUE(verifyAuthOctets(key.get(), method9, kOctets));
  EXPECT_FALSE(verifyAuthOctets(key.get(), method9, kOther));
}

}  // namespace
}  // namespace ikemesh::authx509::testing
