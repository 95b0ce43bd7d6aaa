// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <ikemesh/result.hpp>

#include "ike/crypto/SecureBytes.hpp"
#include "ike/crypto/Transforms.hpp"
#include "util/OpensslHandles.hpp"

namespace ikemesh::ike {

/// HMAC-SHA2 with one key set once and one context reused for every computation (begin,
/// update..., finish). Used by the PRF and by the SK payload's integrity check. Move-only; one
/// thread at a time.
///
/// On OpenSSL's libcrypto, not NSS: a handshake makes about ten of these (SKEYSEED, prf+ for
/// the SK_* keys and KEYMAT, the AUTH octets), and NSS imported every key as a softoken object
/// under its locks: creating one was 10 % of a NULL-auth responder's CPU (perf,
/// bench/ike_load.sh). The key material is ours already (SecureBytes); libcrypto keeps only the
/// HMAC state derived from it and cleanses that when the context is freed.
class HmacContext {
 public:
  enum class Hash { Sha256, Sha384, Sha512 };

  static Hash hashOf(PrfAlgorithm algorithm);
  static Hash hashOf(IntegAlgorithm algorithm);  // must not be None

  /// Imports `key` (any length; HMAC hashes longer keys, RFC 2104 §2) and opens the context.
  static Result<HmacContext> create(Hash hash, std::span<const std::uint8_t> key);

  /// Octets of a full (untruncated) output: 32, 48 or 64.
  std::size_t outputLength() const noexcept { return outputLength_; }

  Result<void> begin();
  Result<void> update(std::span<const std::uint8_t> data);
  /// Writes the full output into `out`, which must hold outputLength() octets.
  Result<void> finish(std::span<std::uint8_t> out);

  /// begin(); update(data); finish() into a new buffer.
  Result<SecureBytes> compute(std::span<const std::uint8_t> data);

 private:
  HmacContext(UniqueEvpMacContext context, std::size_t outputLength)
      : context_(std::move(context)), outputLength_(outputLength) {}

  UniqueEvpMacContext context_;
  std::size_t outputLength_;
};

}  // namespace ikemesh::ike
