// SPDX-License-Identifier: GPL-2.0-or-later
#include "PeerPublicKey.hpp"

#include <keyhi.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

namespace ikemesh::authx509 {

namespace {

struct SigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct ContextDeleter {
  void operator()(EVP_PKEY_CTX* context) const { EVP_PKEY_CTX_free(context); }
};

}  // namespace

void PeerPublicKey::OpensslKeyDeleter::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

Result<PeerPublicKey> PeerPublicKey::from(UniquePublicKey key) {
  if (!key) return fail("no public key");
  PeerPublicKey out;
  if (SECKEY_GetPublicKeyType(key.get()) == ecKey) {
    UniqueSecItem spki(SECKEY_EncodeDERSubjectPublicKeyInfo(key.get()));
    if (!spki) return fail("the peer's EC key: SubjectPublicKeyInfo encoding: " + nssErrorText());
    const unsigned char* der = spki->data;
    EVP_PKEY* decoded = d2i_PUBKEY(nullptr, &der, static_cast<long>(spki->len));
    if (!decoded) return fail("the peer's EC key: libcrypto refused its SubjectPublicKeyInfo");
    out.ecdsa_ = std::shared_ptr<evp_pkey_st>(decoded, OpensslKeyDeleter{});
  }
  out.nss_ = std::move(key);
  return out;
}

Result<PeerPublicKey> PeerPublicKey::copyOf(SECKEYPublicKey* key) {
  return from(UniquePublicKey(key ? SECKEY_CopyPublicKey(key) : nullptr));
}

bool PeerPublicKey::verifyEcdsa(std::span<const std::uint8_t> digest,
                                std::span<const std::uint8_t> rawSignature) const {
  if (!ecdsa_ || rawSignature.empty() || rawSignature.size() % 2 != 0) return false;
  // libcrypto takes the DER Ecdsa-Sig-Value (RFC 3279 §2.2.3).
  const int half = static_cast<int>(rawSignature.size() / 2);
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(ECDSA_SIG_new());
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
  std::unique_ptr<EVP_PKEY_CTX, ContextDeleter> context(EVP_PKEY_CTX_new(ecdsa_.get(), nullptr));
  return context && EVP_PKEY_verify_init(context.get()) == 1 &&
         EVP_PKEY_verify(context.get(), encoded.data(), encoded.size(), digest.data(), digest.size()) == 1;
}

}  // namespace ikemesh::authx509
