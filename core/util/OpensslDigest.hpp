// SPDX-License-Identifier: GPL-2.0-or-later
// SHA-1 and SHA-2 in libcrypto, for the hashes of every handshake (NAT detection, matching
// retransmitted requests, the octets an AUTH signature covers, peer certificate chains): NSS's
// PK11_HashBuf made a context under its locks for every hash, about 2.6 % of a responder's CPU
// per handshake (perf, bench/ike_load.sh). Header-only: the target that includes it links
// libcrypto (OpenSSL::Crypto).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "util/OpensslHandles.hpp"

namespace ikemesh {

/// SHA-1 only where the protocol or the peer's choice asks for it: NAT detection (RFC 7296
/// §2.23), RSA AUTH method 1, RSA-PSS parameters that name it (RFC 4055 §3.1).
enum class DigestAlgorithm { Sha1, Sha2_256, Sha2_384, Sha2_512 };

/// libcrypto's implementation, fetched once for the process (all four at the first call):
/// fetching is a look-up under a lock, and EVP_sha256() and the like would be fetched again by
/// every EVP_DigestInit_ex (OpenSSL 3.0). Null if libcrypto has none. Thread-safe.
inline const EVP_MD* fetchedDigest(DigestAlgorithm algorithm) {
  static EVP_MD* const digests[] = {
      EVP_MD_fetch(nullptr, "SHA1", nullptr), EVP_MD_fetch(nullptr, "SHA2-256", nullptr),
      EVP_MD_fetch(nullptr, "SHA2-384", nullptr), EVP_MD_fetch(nullptr, "SHA2-512", nullptr)};
  return digests[static_cast<std::size_t>(algorithm)];
}

/// Hashes `data` into `out`, which must be exactly as long as the digest. False if it is not, or
/// if libcrypto failed (opensslErrorText() says why then). Thread-safe.
inline bool digestInto(DigestAlgorithm algorithm, std::span<const std::uint8_t> data,
                       std::span<std::uint8_t> out) {
  const EVP_MD* digest = fetchedDigest(algorithm);
  unsigned int written = 0;
  return digest && out.size() == static_cast<std::size_t>(EVP_MD_get_size(digest)) &&
         EVP_Digest(data.data(), data.size(), out.data(), &written, digest, nullptr) == 1 &&
         written == out.size();
}

}  // namespace ikemesh
