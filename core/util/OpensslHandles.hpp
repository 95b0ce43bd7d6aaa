// SPDX-License-Identifier: GPL-2.0-or-later
// Owning wrappers for OpenSSL libcrypto handles, one per handle kind, in one place (STYLE.md,
// house style), like NssHandles.hpp for NSS. Header-only: the target that includes it links
// libcrypto (OpenSSL::Crypto).
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace ikemesh {

/// EVP_PKEY_free cleanses the private key's memory before freeing it.
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct EvpPkeyContextDeleter {
  void operator()(EVP_PKEY_CTX* context) const noexcept { EVP_PKEY_CTX_free(context); }
};
/// Numbers we own may be private scalars: cleared before they are freed.
struct BignumDeleter {
  void operator()(BIGNUM* number) const noexcept { BN_clear_free(number); }
};
struct ParamBuilderDeleter {
  void operator()(OSSL_PARAM_BLD* builder) const noexcept { OSSL_PARAM_BLD_free(builder); }
};
/// Arrays from OSSL_PARAM_BLD_to_param. A number pushed from a BN_secure_new() BIGNUM is kept in
/// the array's secure part, which OSSL_PARAM_free clears.
struct OsslParamsDeleter {
  void operator()(OSSL_PARAM* params) const noexcept { OSSL_PARAM_free(params); }
};

/// Freeing an HMAC context cleanses the key state it holds.
struct EvpMacContextDeleter {
  void operator()(EVP_MAC_CTX* context) const noexcept { EVP_MAC_CTX_free(context); }
};
struct X509SigDeleter {
  void operator()(X509_SIG* signature) const noexcept { X509_SIG_free(signature); }
};
/// Freeing a PKCS #8 PrivateKeyInfo cleanses the key octets it holds.
struct Pkcs8Deleter {
  void operator()(PKCS8_PRIV_KEY_INFO* info) const noexcept { PKCS8_PRIV_KEY_INFO_free(info); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* signature) const noexcept { ECDSA_SIG_free(signature); }
};
/// Freeing a cipher context cleanses the key schedule it holds (OPENSSL_cleanse).
struct EvpCipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};
struct EvpMdContextDeleter {
  void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

using UniqueEvpPkey = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using UniqueEvpPkeyContext = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyContextDeleter>;
using UniqueBignum = std::unique_ptr<BIGNUM, BignumDeleter>;
using UniqueParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, ParamBuilderDeleter>;
using UniqueOsslParams = std::unique_ptr<OSSL_PARAM, OsslParamsDeleter>;
using UniqueEvpMacContext = std::unique_ptr<EVP_MAC_CTX, EvpMacContextDeleter>;
using UniqueX509Sig = std::unique_ptr<X509_SIG, X509SigDeleter>;
using UniquePkcs8 = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Deleter>;
using UniqueEcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using UniqueEvpCipherContext = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherContextDeleter>;
using UniqueEvpMdContext = std::unique_ptr<EVP_MD_CTX, EvpMdContextDeleter>;

/// The thread's queued libcrypto errors, oldest first, joined by "; ", and the queue emptied;
/// for error messages that must say why libcrypto refused. Call it right after the failing call.
inline std::string opensslErrorText() {
  std::string result;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!result.empty()) result += "; ";
    result += text;
  }
  return result.empty() ? "no libcrypto error was queued" : result;
}

}  // namespace ikemesh
