// SPDX-License-Identifier: GPL-2.0-or-later
#include "PeerPublicKey.hpp"

#include <keyhi.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <secasn1t.h>
#include <secoid.h>

#include <string>
#include <vector>

namespace ikemesh::authx509 {

namespace {

/// libcrypto's name of the curve whose OID `params` holds (DER, as NSS keeps it).
const char* curveName(const SECItem& params) {
  if (params.len < 2 || params.data[0] != SEC_ASN1_OBJECT_ID || params.data[1] != params.len - 2)
    return nullptr;
  SECItem oid{siBuffer, params.data + 2, params.len - 2};
  switch (SECOID_FindOIDTag(&oid)) {
    case SEC_OID_ANSIX962_EC_PRIME256V1: return "prime256v1";
    case SEC_OID_SECG_EC_SECP384R1: return "secp384r1";
    case SEC_OID_SECG_EC_SECP521R1: return "secp521r1";
    default: return nullptr;
  }
}

}  // namespace

Result<PeerPublicKey> PeerPublicKey::from(UniquePublicKey key) {
  if (!key) return fail("no public key");
  PeerPublicKey out;
  if (SECKEY_GetPublicKeyType(key.get()) == ecKey) {
    // The curve and the point, as parameters (d2i_PUBKEY on the SubjectPublicKeyInfo takes
    // 210 us in OpenSSL 3.0's decoder framework, this 38 us). libcrypto checks that the point
    // is on the curve.
    const char* group = curveName(key->u.ec.DEREncodedParams);
    if (!group) return fail("the peer's EC key is on a curve other than P-256, P-384 or P-521");
    const SECItem& point = key->u.ec.publicValue;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data, point.len),
        OSSL_PARAM_construct_end()};
    UniqueEvpPkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* imported = nullptr;
    if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &imported, EVP_PKEY_PUBLIC_KEY, params) != 1 || !imported)
      return fail(std::string("the peer's EC key: libcrypto refused its point on ") + group);
    out.libcrypto_ = std::shared_ptr<EVP_PKEY>(imported, EvpPkeyDeleter{});
  } else if (SECKEY_GetPublicKeyType(key.get()) == rsaKey) {
    const SECItem& modulus = key->u.rsa.modulus;
    const SECItem& exponent = key->u.rsa.publicExponent;
    UniqueBignum n(BN_bin2bn(modulus.data, static_cast<int>(modulus.len), nullptr));
    UniqueBignum e(BN_bin2bn(exponent.data, static_cast<int>(exponent.len), nullptr));
    UniqueParamBuilder builder(OSSL_PARAM_BLD_new());
    if (!n || !e || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
      return fail("the peer's RSA key: " + opensslErrorText());
    UniqueOsslParams params(OSSL_PARAM_BLD_to_param(builder.get()));
    UniqueEvpPkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* imported = nullptr;
    if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &imported, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || !imported)
      return fail("the peer's RSA key: libcrypto refused it: " + opensslErrorText());
    out.libcrypto_ = std::shared_ptr<EVP_PKEY>(imported, EvpPkeyDeleter{});
  }
  out.nss_ = std::move(key);
  return out;
}

Result<PeerPublicKey> PeerPublicKey::copyOf(SECKEYPublicKey* key) {
  return from(UniquePublicKey(key ? SECKEY_CopyPublicKey(key) : nullptr));
}

bool PeerPublicKey::verifyEcdsa(std::span<const std::uint8_t> digest,
                                std::span<const std::uint8_t> rawSignature) const {
  if (!libcrypto_ || EVP_PKEY_get_base_id(libcrypto_.get()) != EVP_PKEY_EC || rawSignature.empty() ||
      rawSignature.size() % 2 != 0)
    return false;
  // libcrypto takes the DER Ecdsa-Sig-Value (RFC 3279 §2.2.3).
  const int half = static_cast<int>(rawSignature.size() / 2);
  UniqueEcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(rawSignature.data(), half, nullptr);
  BIGNUM* s = BN_bin2bn(rawSignature.data() + half, half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int derLength = i2d_ECDSA_SIG(sig.get(), &der);
  if (derLength <= 0) return false;
  std::vector<unsigned char> encoded(der, der + derLength);
  OPENSSL_free(der);
  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new(libcrypto_.get(), nullptr));
  return context && EVP_PKEY_verify_init(context.get()) == 1 &&
         EVP_PKEY_verify(context.get(), encoded.data(), encoded.size(), digest.data(), digest.size()) == 1;
}

bool PeerPublicKey::verifyRsaPss(std::span<const std::uint8_t> digest,
                                 std::span<const std::uint8_t> signature, DigestAlgorithm hash,
                                 DigestAlgorithm mgfHash, int saltLength) const {
  if (!libcrypto_ || EVP_PKEY_get_base_id(libcrypto_.get()) != EVP_PKEY_RSA) return false;
  const EVP_MD* md = fetchedDigest(hash);
  const EVP_MD* mgfMd = fetchedDigest(mgfHash);
  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new(libcrypto_.get(), nullptr));
  const bool verified =
      md && mgfMd && context && EVP_PKEY_verify_init(context.get()) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
      EVP_PKEY_CTX_set_signature_md(context.get(), md) == 1 &&
      EVP_PKEY_CTX_set_rsa_mgf1_md(context.get(), mgfMd) == 1 &&
      EVP_PKEY_CTX_set_rsa_pss_saltlen(context.get(), saltLength) == 1 &&
      EVP_PKEY_verify(context.get(), signature.data(), signature.size(), digest.data(), digest.size()) == 1;
  ERR_clear_error();  // a bad signature is an answer, not an error to carry on
  return verified;
}

std::optional<std::vector<std::uint8_t>> PeerPublicKey::recoverRsaPkcs1(
    std::span<const std::uint8_t> signature) const {
  if (!libcrypto_ || EVP_PKEY_get_base_id(libcrypto_.get()) != EVP_PKEY_RSA) return std::nullopt;
  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new(libcrypto_.get(), nullptr));
  std::vector<std::uint8_t> recovered(static_cast<std::size_t>(EVP_PKEY_get_size(libcrypto_.get())));
  std::size_t length = recovered.size();
  const bool opened = context && EVP_PKEY_verify_recover_init(context.get()) == 1 &&
                      EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_PADDING) == 1 &&
                      EVP_PKEY_verify_recover(context.get(), recovered.data(), &length, signature.data(),
                                              signature.size()) == 1;
  ERR_clear_error();
  if (!opened) return std::nullopt;
  recovered.resize(length);
  return recovered;
}

}  // namespace ikemesh::authx509
