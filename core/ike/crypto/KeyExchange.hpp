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
#include "util/NssHandles.hpp"

namespace ikemesh::ike {

/// Our half of one Diffie-Hellman exchange (the KE payload, RFC 7296 §3.4): a fresh key pair
/// in one group, its public value in the group's wire format, and the shared secret g^ir once
/// the peer's value arrives. Supported groups: 14 (MODP-2048), 19 (ECP-256), 20 (ECP-384),
/// 31 (Curve25519).
///
/// Creating one and computing the secret are the expensive steps: run them off the event loop.
/// An instance is used by one thread at a time; it may move between threads.
class KeyExchange {
 public:
  /// Generates a fresh key pair in `group`.
  static Result<std::unique_ptr<KeyExchange>> create(DhGroup group);

  /// FOR KNOWN-ANSWER TESTS ONLY: the key pair (privateKey, publicValue) given by a test vector,
  /// in the group's wire formats (ECP: the scalar, big-endian, and x | y; Curve25519: the
  /// 32-octet scalar and u-coordinate as RFC 7748 prints them). NSS cannot compute a public key
  /// from an imported private one, so the vector supplies it, and this factory proves that the
  /// two belong together (Curve25519: X25519(k, 9) is compared with it; ECP: an ECDSA signature
  /// made with the private key verifies with it) before accepting them. MODP is not supported.
  static Result<std::unique_ptr<KeyExchange>> createFromKnownKeyPairForTesting(
      DhGroup group, std::span<const std::uint8_t> privateKey, std::span<const std::uint8_t> publicValue);

  KeyExchange(const KeyExchange&) = delete;
  KeyExchange& operator=(const KeyExchange&) = delete;
  ~KeyExchange();

  /// How many key exchanges (each holding a DH private key in NSS) exist in the process now.
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
  KeyExchange(DhGroup group, UniquePrivateKey privateKey, UniquePublicKey publicKey,
              std::vector<std::uint8_t> publicValue);

  Result<void> validatePeerValue(std::span<const std::uint8_t> peer) const;

  DhGroup group_;
  UniquePrivateKey privateKey_;
  UniquePublicKey publicKey_;  // NSS's form of our public key; a template for the peer's
  std::vector<std::uint8_t> publicValue_;
};

}  // namespace ikemesh::ike
