// SPDX-License-Identifier: GPL-2.0-or-later
// The AUTH payload signatures of RFC 7296 §3.8 (method 1, RSASSA-PKCS1-v1_5), RFC 4754
// (methods 9-11, ECDSA with r|s) and RFC 7427 (method 14, Digital Signature: an ASN.1
// AlgorithmIdentifier, then the signature). Our signatures are made by SigningKey (NSS, or
// libcrypto's copy of a key from NSS's software token), and the peer's are checked by
// PeerPublicKey in libcrypto; the hashes are libcrypto's too, ASN.1 goes through NSS.
// Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/result.hpp>

#include "PeerPublicKey.hpp"
#include "SigningKey.hpp"
#include "util/NssHandles.hpp"

namespace ikemesh::authx509 {

/// How an RSA key signs (the plugin's rsasigscheme= option).
enum class RsaScheme : std::uint8_t {
  Pss,    ///< RFC 7427 with RSASSA-PSS, SHA2-256, MGF1-SHA2-256, 32 octets of salt
  Pkcs1,  ///< AUTH method 1, RSASSA-PKCS1-v1_5 with SHA-1 (RFC 7296 §3.8)
};

/// Signs `octets` with `key`: RSA per `rsa`, ECDSA as RFC 7427 with the curve's hash (P-256
/// SHA2-256, P-384 SHA2-384, P-521 SHA2-512).
Result<AuthPayload> signAuthOctets(const SigningKey& key, RsaScheme rsa,
                                   std::span<const std::uint8_t> octets);
/// The same with NSS doing the signing (the caller keeps `key`).
Result<AuthPayload> signAuthOctets(SECKEYPrivateKey* key, RsaScheme rsa,
                                   std::span<const std::uint8_t> octets);

/// Checks the peer's AUTH payload over `octets` with the public key of its certificate. Accepts
/// methods 1, 9, 10, 11 and 14 (RSA PKCS#1 v1.5 with SHA-1 or SHA-2, RSA-PSS, ECDSA); the error
/// says "bad signature" when the signature does not verify, otherwise what is not supported.
Result<void> verifyAuthOctets(const PeerPublicKey& key, const AuthPayload& auth,
                              std::span<const std::uint8_t> octets);
/// The same with a key of NSS's alone (copied for the check): for one-off checks.
Result<void> verifyAuthOctets(SECKEYPublicKey* key, const AuthPayload& auth,
                              std::span<const std::uint8_t> octets);

}  // namespace ikemesh::authx509
