// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/crypto/SecureBytes.hpp"
#include "ike/crypto/Transforms.hpp"
#include "util/OpensslHandles.hpp"

namespace ikemesh::ike {

/// Our half of one Diffie-Hellman exchange (the KE payload, RFC 7296 §3.4): a fresh key pair
/// in one group, its public value in the group's wire format, and the shared secret g^ir once
/// the peer's value arrives. Supported groups: 14 (MODP-2048), 19 (ECP-256), 20 (ECP-384),
/// 31 (Curve25519).
///
/// The key pair is generated and used in OpenSSL's libcrypto (EVP_PKEY), not NSS: per exchange
/// (key pair + g^ir) NSS 3.87 took 167-260 µs for Curve25519, 2.6 ms for ECP-256 and 7.5-12 ms
/// for ECP-384 (bench/ike_crypto_bench), and X25519 key generation alone was 15 % of a
/// responder's CPU. These key pairs are ephemeral, one per exchange; no long-term private key
/// comes here. The PRF (HmacContext.hpp) and the SK payload protection (SkCipher.hpp) are in
/// libcrypto too.
///
/// Creating one and computing the secret are the expensive steps: run them off the event loop.
/// An instance is used by one thread at a time; it may move between threads.
class KeyExchange {
 public:
  /// Generates a fresh key pair in `group`.
  static Result<std::unique_ptr<KeyExchange>> create(DhGroup group);

  /// FOR KNOWN-ANSWER TESTS ONLY: the key pair (privateKey, publicValue) given by a test vector,
  /// in the group's wire formats (ECP: the scalar, big-endian, and x | y; Curve25519: the
  /// 32-octet scalar and u-coordinate as RFC 7748 prints them). libcrypto computes the public
  /// value from the private key (Curve25519: X25519(k, 9); ECP: d × G, EVP_PKEY_pairwise_check)
  /// and the pair is refused unless the vector's public value is that one. MODP is not supported.
  static Result<std::unique_ptr<KeyExchange>> createFromKnownKeyPairForTesting(
      DhGroup group, std::span<const std::uint8_t> privateKey, std::span<const std::uint8_t> publicValue);

  KeyExchange(const KeyExchange&) = delete;
  KeyExchange& operator=(const KeyExchange&) = delete;
  ~KeyExchange();

  /// How many key exchanges (each holding a DH private key in libcrypto) exist in the process now.
  /// Forward secrecy (RFC 7296 §2.12) wants none to outlive the key derivation it served;
  /// tests check it. Thread-safe.
  static std::size_t liveCount() noexcept;

  DhGroup group() const noexcept { return group_; }

  /// Our public value as the KE payload carries it (RFC 7296 §3.4): MODP padded to 256 octets,
  /// ECP x | y without the 0x04 point-format octet (RFC 5903 §7), Curve25519 32 octets (RFC 8031 §3).
  std::span<const std::uint8_t> publicValue() const noexcept { return publicValue_; }

  /// g^ir from the peer's KE payload data, after strict validation of that value:
  ///  - MODP: exactly 256 octets and 1 < y < p-1 (RFC 7296 §3.4, NIST SP 800-56A 5.6.2.3.1);
  ///  - ECP: exactly 2 x coordinate octets, x and y below the field prime, point on the curve
  ///    (RFC 5903 §7, RFC 6989 §2.3);
  ///  - Curve25519: exactly 32 octets, and the result must not be all zero (RFC 8031 §2.3).
  /// The secret is the group's full length: MODP 256 octets (left-padded), ECP the x coordinate
  /// (RFC 5903 §7), Curve25519 32 octets. Errors name the check that failed.
  Result<SecureBytes> sharedSecret(std::span<const std::uint8_t> peerPublicValue) const;

 private:
  KeyExchange(DhGroup group, UniqueEvpPkey keyPair, std::vector<std::uint8_t> publicValue);

  Result<void> validatePeerValue(std::span<const std::uint8_t> peer) const;

  DhGroup group_;
  UniqueEvpPkey keyPair_;  // freed with the instance; EVP_PKEY_free cleanses the private key
  std::vector<std::uint8_t> publicValue_;
};

}  // namespace ikemesh::ike
