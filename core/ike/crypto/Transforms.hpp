// SPDX-License-Identifier: GPL-2.0-or-later
// The IKEv2 transforms this suite implements, with their IANA "IKEv2 Transform Attribute"
// registry values (RFC 7296 §3.3.2), and the key lengths each one needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <ikemesh/result.hpp>

namespace ikemesh::ike {

/// Transform Type 1, encryption algorithm (IANA values).
enum class EncrAlgorithm : std::uint16_t {
  AesCbc = 12,    // RFC 3602; needs an integrity algorithm
  AesGcm16 = 20,  // RFC 4106 / RFC 5282, 16-octet ICV; AEAD, no integrity algorithm
};

/// Transform Type 2, pseudorandom function (IANA values; RFC 4868).
enum class PrfAlgorithm : std::uint16_t {
  HmacSha2_256 = 5,
  HmacSha2_384 = 6,
  HmacSha2_512 = 7,
};

/// Transform Type 3, integrity algorithm (IANA values; RFC 4868). None (0) is "no integrity
/// transform", the only valid choice with an AEAD cipher (RFC 5282 §8).
enum class IntegAlgorithm : std::uint16_t {
  None = 0,
  HmacSha2_256_128 = 12,
  HmacSha2_384_192 = 13,
  HmacSha2_512_256 = 14,
};

/// Transform Type 4, Diffie-Hellman group (IANA values).
enum class DhGroup : std::uint16_t {
  Modp2048 = 14,    // RFC 3526 §3
  Ecp256 = 19,      // RFC 5903
  Ecp384 = 20,      // RFC 5903
  Curve25519 = 31,  // RFC 8031
};

/// An encryption transform with its Key Length attribute (RFC 7296 §3.3.5), in bits.
struct EncryptionTransform {
  EncrAlgorithm algorithm = EncrAlgorithm::AesGcm16;
  std::uint16_t keyBits = 256;
};

/// The registry's name of a transform ID of each type, also of those we do not implement
/// ("3DES", "HMAC-SHA1-96", "MODP-1024"; "ENCR#99" when unregistered): what a peer offered.
std::string encrName(std::uint16_t id);
std::string prfName(std::uint16_t id);
std::string integName(std::uint16_t id);
std::string dhName(std::uint16_t id);

/// "AES-GCM-16", "HMAC-SHA2-256", "ECP-256"...: names for log lines and error messages.
std::string transformName(EncrAlgorithm algorithm);
std::string transformName(PrfAlgorithm algorithm);
std::string transformName(IntegAlgorithm algorithm);
std::string transformName(DhGroup group);
std::string transformName(const EncryptionTransform& transform);

/// The algorithm for an IANA number, or nothing if this suite does not implement it.
std::optional<EncrAlgorithm> encrAlgorithmFromId(std::uint16_t id);
std::optional<PrfAlgorithm> prfAlgorithmFromId(std::uint16_t id);
std::optional<IntegAlgorithm> integAlgorithmFromId(std::uint16_t id);
std::optional<DhGroup> dhGroupFromId(std::uint16_t id);

/// True for combined-mode ciphers (AES-GCM), which take no integrity transform.
bool isAead(EncrAlgorithm algorithm);

/// Checks that the key length is one the algorithm defines (AES: 128, 192, 256 bits) and that
/// the integrity choice fits the cipher: none with AEAD (RFC 5282 §8), one without.
Result<void> validateTransforms(const EncryptionTransform& encryption, IntegAlgorithm integrity);

/// Octets of keying material one direction of the cipher takes: the AES key, plus the 4-octet
/// salt for AES-GCM (RFC 5282 §7.1, RFC 4106 §8.1). The transform must be valid.
std::size_t encryptionKeyLength(const EncryptionTransform& transform);
/// The AES key alone, without salt.
std::size_t cipherKeyLength(const EncryptionTransform& transform);
/// Octets of the integrity key: the HMAC's output size (RFC 4868 §2.1.1); 0 for None.
std::size_t integrityKeyLength(IntegAlgorithm algorithm);
/// Octets of the truncated integrity checksum carried in the message (RFC 4868 §2.1.2).
std::size_t integrityChecksumLength(IntegAlgorithm algorithm);
/// Octets of a PRF output, which is also its preferred key length (RFC 4868 §2.1.1, RFC 7296
/// §2.14: SK_d, SK_pi and SK_pr have this length).
std::size_t prfOutputLength(PrfAlgorithm algorithm);

/// Octets of the group's KE payload data (RFC 7296 §3.4, RFC 5903 §7, RFC 8031 §3).
std::size_t keyExchangeLength(DhGroup group);

}  // namespace ikemesh::ike
