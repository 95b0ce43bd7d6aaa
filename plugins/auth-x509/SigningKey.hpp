// SPDX-License-Identifier: GPL-2.0-or-later
// Our private key as it signs AUTH payloads: in NSS, and for a key of NSS's own software token
// also in OpenSSL's libcrypto, which then does the signing.
//
// Why: NSS 3.87 (Debian 12) takes 2.46 ms for one RSA-2048 signature and 221 us for one P-256
// signature on this machine's cores, libcrypto 3.0 0.39 ms and 35 us; signing was the largest
// item of a responder's CPU per handshake (bench/ike_load.sh with perf: 30 % with ECDSA, more
// than half with RSA). The key stays stored, protected and managed in the NSS database
// (import, listing, password); only a key that NSS's internal token holds is copied, only when
// the key is extractable (CKA_EXTRACTABLE) and NSS is not in FIPS mode: that token is a library
// in this process, so the key is in this process's memory either way. A key on any other
// PKCS#11 token (a smart card, an HSM), or one that may not or cannot be exported, signs in
// NSS, as before. libcrypto wipes its copy when it is freed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/result.hpp>

#include "util/NssHandles.hpp"
#include "util/OpensslHandles.hpp"

namespace ikemesh::authx509 {

class SigningKey {
 public:
  /// Signs with `key` in NSS only.
  static SigningKey inNss(std::shared_ptr<SECKEYPrivateKey> key);
  /// Signs with libcrypto's copy of `key` when the key may be copied (see above), otherwise
  /// in NSS; `why` tells which and, for NSS, the reason.
  static SigningKey preferLibcrypto(std::shared_ptr<SECKEYPrivateKey> key);

  KeyType type() const;
  /// The raw signature's length: the RSA modulus, or r|s for ECDSA (twice the curve's size).
  int signatureLength() const;
  bool signsInLibcrypto() const { return static_cast<bool>(libcrypto_); }
  /// Why the key signs where it does, for the log.
  const std::string& why() const { return why_; }

  /// RSA: RSASSA-PKCS1-v1_5 over `input`, an encoded DigestInfo (CKM_RSA_PKCS).
  /// ECDSA: the signature of the digest `input`, as r|s (CKM_ECDSA).
  Result<std::vector<std::uint8_t>> signRaw(std::span<const std::uint8_t> input) const;
  /// RSASSA-PSS with SHA2-256, MGF1 with SHA2-256 and 32 octets of salt over `digest`.
  Result<std::vector<std::uint8_t>> signRsaPssSha256(std::span<const std::uint8_t> digest) const;

 private:
  std::shared_ptr<SECKEYPrivateKey> nss_;
  std::shared_ptr<EVP_PKEY> libcrypto_;  // EVP_PKEY; const use is thread-safe
  std::string why_;
};

}  // namespace ikemesh::authx509
