// SPDX-License-Identifier: GPL-2.0-or-later
// A peer's public key, as NSS holds it and, for ECDSA and RSA, as OpenSSL's libcrypto does too.
//
// ECDSA signatures are checked with libcrypto: NSS 3.87 (Debian 12) takes 496 µs for one P-256
// verification on this machine's cores, libcrypto 3.0 81 µs, and the check of the peer's AUTH
// was the largest item of a responder's CPU per ECDSA handshake (bench/ike_load.sh, perf:
// 27 %). Only public data goes to libcrypto: the key from the peer's certificate, its
// signature and the hash of the signed octets. The certificate database, path validation and
// trust stay in NSS. RSA signatures are checked with libcrypto too: NSS imports the key into
// its softoken for every check, 68 us per RSA-2048 check against libcrypto's 33 us.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "util/NssHandles.hpp"
#include "util/OpensslDigest.hpp"
#include "util/OpensslHandles.hpp"

namespace ikemesh::authx509 {

class PeerPublicKey {
 public:
  /// Takes `key`, and makes libcrypto's copy of an EC or RSA key.
  static Result<PeerPublicKey> from(UniquePublicKey key);
  /// A copy of `key` (which stays the caller's).
  static Result<PeerPublicKey> copyOf(SECKEYPublicKey* key);

  SECKEYPublicKey* nss() const { return nss_.get(); }

  /// Checks an ECDSA signature given as r|s (RFC 4754 §3: each half the curve's size) over
  /// `digest`. Only for EC keys.
  bool verifyEcdsa(std::span<const std::uint8_t> digest, std::span<const std::uint8_t> rawSignature) const;

  /// RSASSA-PSS over `digest` with `hash`, MGF1 with `mgfHash` and exactly `saltLength` octets
  /// of salt. Only for RSA keys.
  bool verifyRsaPss(std::span<const std::uint8_t> digest, std::span<const std::uint8_t> signature,
                    DigestAlgorithm hash, DigestAlgorithm mgfHash, int saltLength) const;
  /// RSASSA-PKCS1-v1_5: what the signature carries (the DigestInfo), or nothing when it does
  /// not open with the key. Only for RSA keys.
  std::optional<std::vector<std::uint8_t>> recoverRsaPkcs1(std::span<const std::uint8_t> signature) const;

 private:
  UniquePublicKey nss_;
  std::shared_ptr<EVP_PKEY> libcrypto_;  // EC or RSA; const use is thread-safe
};

}  // namespace ikemesh::authx509
