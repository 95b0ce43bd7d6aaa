// SPDX-License-Identifier: GPL-2.0-or-later
// A peer's public key, as NSS holds it and, for ECDSA, as OpenSSL's libcrypto does too.
//
// ECDSA signatures are checked with libcrypto: NSS 3.87 (Debian 12) takes 496 µs for one P-256
// verification on this machine's cores, libcrypto 3.0 81 µs, and the check of the peer's AUTH
// was the largest item of a responder's CPU per ECDSA handshake (bench/ike_load.sh, perf:
// 27 %). Only public data goes to libcrypto: the key from the peer's certificate, its
// signature and the hash of the signed octets. Our private keys, our signatures, the
// certificate database, path validation and trust stay in NSS (DESIGN.md §1), and RSA
// signatures are checked by NSS (it is fast there: the public exponent is small).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include <ikemesh/result.hpp>

#include "util/NssHandles.hpp"
#include "util/OpensslHandles.hpp"

namespace ikemesh::authx509 {

class PeerPublicKey {
 public:
  /// Takes `key`; for an EC key, makes libcrypto's copy from its SubjectPublicKeyInfo.
  static Result<PeerPublicKey> from(UniquePublicKey key);
  /// A copy of `key` (which stays the caller's).
  static Result<PeerPublicKey> copyOf(SECKEYPublicKey* key);

  SECKEYPublicKey* nss() const { return nss_.get(); }

  /// Checks an ECDSA signature given as r|s (RFC 4754 §3: each half the curve's size) over
  /// `digest`. Only for EC keys.
  bool verifyEcdsa(std::span<const std::uint8_t> digest, std::span<const std::uint8_t> rawSignature) const;

 private:
  UniquePublicKey nss_;
  std::shared_ptr<EVP_PKEY> ecdsa_;  // EVP_PKEY; const use is thread-safe
};

}  // namespace ikemesh::authx509
