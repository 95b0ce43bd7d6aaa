// SPDX-License-Identifier: GPL-2.0-or-later
#include "SigningKey.hpp"

#include <keyhi.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pk11pub.h>
#include <secasn1.h>
#include <secoid.h>

#include <array>

#include "util/OpensslDigest.hpp"

namespace ikemesh::authx509 {

namespace {

using Bytes = std::vector<std::uint8_t>;

struct EncryptedInfoDeleter {
  void operator()(SECKEYEncryptedPrivateKeyInfo* info) const {
    SECKEY_DestroyEncryptedPrivateKeyInfo(info, PR_TRUE);
  }
};

/// libcrypto's copy of `key`: NSS exports it as an EncryptedPrivateKeyInfo (PKCS #8, PBES2
/// with AES-256-CBC) under a random one-time password, libcrypto decrypts it. NSS offers no
/// plain export of a token key (PK11_ExportDERPrivateKeyInfo fails with SEC_ERROR_IO); this is
/// the path pk12util takes. The password and every clear copy are wiped.
Result<EVP_PKEY*> exportToLibcrypto(SECKEYPrivateKey* key) {
  std::array<unsigned char, 32> password{};
  if (PK11_GenerateRandom(password.data(), static_cast<int>(password.size())) != SECSuccess)
    return fail("no random password for the export: " + nssErrorText());
  SECItem passwordItem{siBuffer, password.data(), static_cast<unsigned>(password.size())};
  std::unique_ptr<SECKEYEncryptedPrivateKeyInfo, EncryptedInfoDeleter> encrypted(
      PK11_ExportEncryptedPrivKeyInfoV2(key->pkcs11Slot, SEC_OID_PKCS5_PBES2, SEC_OID_AES_256_CBC,
                                        SEC_OID_HMAC_SHA256, &passwordItem, key, 1, nullptr));
  if (!encrypted) {
    const std::string why = nssErrorText();
    OPENSSL_cleanse(password.data(), password.size());
    return fail("NSS does not export the key: " + why);
  }
  UniqueSecItem der(SEC_ASN1EncodeItem(nullptr, nullptr, encrypted.get(),
                                       SEC_ASN1_GET(SECKEY_EncryptedPrivateKeyInfoTemplate)));
  const unsigned char* cursor = der ? der->data : nullptr;
  UniqueX509Sig sig(der ? d2i_X509_SIG(nullptr, &cursor, der->len) : nullptr);
  UniquePkcs8 info(sig ? PKCS8_decrypt(sig.get(), reinterpret_cast<const char*>(password.data()),
                                       static_cast<int>(password.size()))
                       : nullptr);
  EVP_PKEY* imported = info ? EVP_PKCS82PKEY(info.get()) : nullptr;
  Result<EVP_PKEY*> result = imported ? Result<EVP_PKEY*>(imported)
                                      : fail("libcrypto cannot read the exported key: " + opensslErrorText());
  OPENSSL_cleanse(password.data(), password.size());
  return result;
}

/// Runs EVP_PKEY_sign on `input` with the context `configure` prepared.
template <typename Configure>
Result<Bytes> libcryptoSign(EVP_PKEY* key, std::span<const std::uint8_t> input, Configure configure) {
  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new(key, nullptr));
  std::size_t length = 0;
  if (!context || EVP_PKEY_sign_init(context.get()) != 1 || !configure(context.get()) ||
      EVP_PKEY_sign(context.get(), nullptr, &length, input.data(), input.size()) != 1)
    return fail("libcrypto signing: " + opensslErrorText());
  Bytes signature(length);
  if (EVP_PKEY_sign(context.get(), signature.data(), &length, input.data(), input.size()) != 1)
    return fail("libcrypto signing: " + opensslErrorText());
  signature.resize(length);
  return signature;
}

/// libcrypto's DER Ecdsa-Sig-Value as r|s, each half `half` octets (RFC 4754 §3).
Result<Bytes> rawEcdsa(const Bytes& der, int half) {
  const unsigned char* cursor = der.data();
  UniqueEcdsaSig sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!sig) return fail("libcrypto made an ECDSA signature it cannot decode: " + opensslErrorText());
  Bytes raw(static_cast<std::size_t>(2 * half));
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), half) != half ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + half, half) != half)
    return fail("an ECDSA signature half longer than the curve");
  return raw;
}

/// CKA_EXTRACTABLE of `key`: false when the token says so, or says nothing.
bool extractable(SECKEYPrivateKey* key) {
  SECItem value{siBuffer, nullptr, 0};
  if (PK11_ReadRawAttribute(PK11_TypePrivKey, key, CKA_EXTRACTABLE, &value) != SECSuccess) return false;
  const bool yes = value.len == 1 && value.data[0] == CK_TRUE;
  SECITEM_FreeItem(&value, PR_FALSE);
  return yes;
}

SECItem itemOf(Bytes& bytes) {
  return SECItem{siBuffer, bytes.data(), static_cast<unsigned>(bytes.size())};
}

}  // namespace

SigningKey SigningKey::inNss(std::shared_ptr<SECKEYPrivateKey> key) {
  SigningKey out;
  out.nss_ = std::move(key);
  out.why_ = "signs in NSS";
  return out;
}

SigningKey SigningKey::preferLibcrypto(std::shared_ptr<SECKEYPrivateKey> key) {
  SigningKey out = inNss(std::move(key));
  const auto type = out.type();
  if (type != rsaKey && type != ecKey) {
    out.why_ = "signs in NSS: neither RSA nor EC";
  } else if (PK11_IsFIPS()) {
    out.why_ = "signs in NSS: NSS is in FIPS mode";
  } else if (!PK11_IsInternal(out.nss_->pkcs11Slot)) {
    out.why_ = std::string("signs in NSS: the key is on the token '") +
               PK11_GetTokenName(out.nss_->pkcs11Slot) + "', not in NSS's software token";
  } else if (!extractable(out.nss_.get())) {
    // NSS's own export would still copy it out of the software token: respect the attribute.
    out.why_ = "signs in NSS: the key is marked unextractable (CKA_EXTRACTABLE false)";
  } else if (auto exported = exportToLibcrypto(out.nss_.get()); !exported) {
    out.why_ = "signs in NSS: " + exported.error().message;
  } else {
    out.libcrypto_.reset(*exported, EvpPkeyDeleter{});
    out.why_ = "signs in libcrypto (a copy of NSS's key)";
  }
  return out;
}

KeyType SigningKey::type() const {
  return SECKEY_GetPrivateKeyType(nss_.get());
}

int SigningKey::signatureLength() const {
  return PK11_SignatureLen(nss_.get());
}

Result<Bytes> SigningKey::signRaw(std::span<const std::uint8_t> input) const {
  if (libcrypto_) {
    if (type() == rsaKey)
      return libcryptoSign(libcrypto_.get(), input, [](EVP_PKEY_CTX* context) {
        return EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1;
      });
    auto der = libcryptoSign(libcrypto_.get(), input, [](EVP_PKEY_CTX*) { return true; });
    if (!der) return der.error();
    return rawEcdsa(*der, signatureLength() / 2);
  }
  const int length = signatureLength();
  if (length <= 0) return fail("signature length of our key: " + nssErrorText());
  Bytes signature(static_cast<std::size_t>(length));
  SECItem out = itemOf(signature);
  Bytes copy(input.begin(), input.end());
  SECItem in = itemOf(copy);
  if (PK11_Sign(nss_.get(), &out, &in) != SECSuccess) return fail("signing: " + nssErrorText());
  signature.resize(out.len);
  return signature;
}

Result<Bytes> SigningKey::signRsaPssSha256(std::span<const std::uint8_t> digest) const {
  constexpr unsigned kSaltLength = 32;
  if (libcrypto_)
    return libcryptoSign(libcrypto_.get(), digest, [](EVP_PKEY_CTX* context) {
      return EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(context, fetchedDigest(DigestAlgorithm::Sha2_256)) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(context, fetchedDigest(DigestAlgorithm::Sha2_256)) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(context, static_cast<int>(kSaltLength)) == 1;
    });
  CK_RSA_PKCS_PSS_PARAMS params{CKM_SHA256, CKG_MGF1_SHA256, kSaltLength};
  SECItem paramItem{siBuffer, reinterpret_cast<unsigned char*>(&params), sizeof params};
  Bytes signature(static_cast<std::size_t>(signatureLength()));
  SECItem out = itemOf(signature);
  Bytes copy(digest.begin(), digest.end());
  SECItem in = itemOf(copy);
  if (PK11_SignWithMechanism(nss_.get(), CKM_RSA_PKCS_PSS, &paramItem, &out, &in) != SECSuccess)
    return fail("RSA-PSS signing: " + nssErrorText());
  signature.resize(out.len);
  return signature;
}

}  // namespace ikemesh::authx509
