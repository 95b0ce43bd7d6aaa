// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/Transforms.hpp"

namespace ikemesh::ike {

std::string transformName(EncrAlgorithm algorithm) {
  switch (algorithm) {
    case EncrAlgorithm::AesCbc: return "AES-CBC";
    case EncrAlgorithm::AesGcm16: return "AES-GCM-16";
  }
  return "ENCR#" + std::to_string(static_cast<unsigned>(algorithm));
}

std::string transformName(PrfAlgorithm algorithm) {
  switch (algorithm) {
    case PrfAlgorithm::HmacSha2_256: return "PRF-HMAC-SHA2-256";
    case PrfAlgorithm::HmacSha2_384: return "PRF-HMAC-SHA2-384";
    case PrfAlgorithm::HmacSha2_512: return "PRF-HMAC-SHA2-512";
  }
  return "PRF#" + std::to_string(static_cast<unsigned>(algorithm));
}

std::string transformName(IntegAlgorithm algorithm) {
  switch (algorithm) {
    case IntegAlgorithm::None: return "NONE";
    case IntegAlgorithm::HmacSha2_256_128: return "HMAC-SHA2-256-128";
    case IntegAlgorithm::HmacSha2_384_192: return "HMAC-SHA2-384-192";
    case IntegAlgorithm::HmacSha2_512_256: return "HMAC-SHA2-512-256";
  }
  return "INTEG#" + std::to_string(static_cast<unsigned>(algorithm));
}

std::string transformName(DhGroup group) {
  switch (group) {
    case DhGroup::Modp2048: return "MODP-2048";
    case DhGroup::Ecp256: return "ECP-256";
    case DhGroup::Ecp384: return "ECP-384";
    case DhGroup::Curve25519: return "Curve25519";
  }
  return "DH#" + std::to_string(static_cast<unsigned>(group));
}

std::string transformName(const EncryptionTransform& transform) {
  return transformName(transform.algorithm) + "_" + std::to_string(transform.keyBits);
}

std::optional<EncrAlgorithm> encrAlgorithmFromId(std::uint16_t id) {
  switch (id) {
    case 12: return EncrAlgorithm::AesCbc;
    case 20: return EncrAlgorithm::AesGcm16;
    default: return std::nullopt;
  }
}

std::optional<PrfAlgorithm> prfAlgorithmFromId(std::uint16_t id) {
  switch (id) {
    case 5: return PrfAlgorithm::HmacSha2_256;
    case 6: return PrfAlgorithm::HmacSha2_384;
    case 7: return PrfAlgorithm::HmacSha2_512;
    default: return std::nullopt;
  }
}

std::optional<IntegAlgorithm> integAlgorithmFromId(std::uint16_t id) {
  switch (id) {
    case 0: return IntegAlgorithm::None;
    case 12: return IntegAlgorithm::HmacSha2_256_128;
    case 13: return IntegAlgorithm::HmacSha2_384_192;
    case 14: return IntegAlgorithm::HmacSha2_512_256;
    default: return std::nullopt;
  }
}

std::optional<DhGroup> dhGroupFromId(std::uint16_t id) {
  switch (id) {
    case 14: return DhGroup::Modp2048;
    case 19: return DhGroup::Ecp256;
    case 20: return DhGroup::Ecp384;
    case 31: return DhGroup::Curve25519;
    default: return std::nullopt;
  }
}

bool isAead(EncrAlgorithm algorithm) {
  return algorithm == EncrAlgorithm::AesGcm16;
}

Result<void> validateTransforms(const EncryptionTransform& encryption, IntegAlgorithm integrity) {
  if (!encrAlgorithmFromId(static_cast<std::uint16_t>(encryption.algorithm)))
    return fail("encryption algorithm " + transformName(encryption.algorithm) + " is not supported");
  if (encryption.keyBits != 128 && encryption.keyBits != 192 && encryption.keyBits != 256)
    return fail(transformName(encryption.algorithm) + " key length " + std::to_string(encryption.keyBits) +
                " bits is not one of 128, 192, 256 (RFC 3602 §2.4, RFC 4106 §8.1)");
  if (!integAlgorithmFromId(static_cast<std::uint16_t>(integrity)))
    return fail("integrity algorithm " + transformName(integrity) + " is not supported");
  if (isAead(encryption.algorithm) && integrity != IntegAlgorithm::None)
    return fail(transformName(encryption) +
                " is a combined-mode cipher and takes no integrity algorithm, got " +
                transformName(integrity) + " (RFC 5282 §8)");
  if (!isAead(encryption.algorithm) && integrity == IntegAlgorithm::None)
    return fail(transformName(encryption) + " needs an integrity algorithm (RFC 7296 §3.3.3)");
  return success();
}

std::size_t cipherKeyLength(const EncryptionTransform& transform) {
  return transform.keyBits / 8;
}

std::size_t encryptionKeyLength(const EncryptionTransform& transform) {
  // RFC 5282 §7.1 / RFC 4106 §8.1: the 4-octet salt is taken with the key from the keying material.
  return cipherKeyLength(transform) + (isAead(transform.algorithm) ? 4 : 0);
}

std::size_t integrityKeyLength(IntegAlgorithm algorithm) {
  switch (algorithm) {
    case IntegAlgorithm::None: return 0;
    case IntegAlgorithm::HmacSha2_256_128: return 32;
    case IntegAlgorithm::HmacSha2_384_192: return 48;
    case IntegAlgorithm::HmacSha2_512_256: return 64;
  }
  return 0;
}

std::size_t integrityChecksumLength(IntegAlgorithm algorithm) {
  return integrityKeyLength(algorithm) / 2;
}

std::size_t prfOutputLength(PrfAlgorithm algorithm) {
  switch (algorithm) {
    case PrfAlgorithm::HmacSha2_256: return 32;
    case PrfAlgorithm::HmacSha2_384: return 48;
    case PrfAlgorithm::HmacSha2_512: return 64;
  }
  return 0;
}

std::size_t keyExchangeLength(DhGroup group) {
  switch (group) {
    case DhGroup::Modp2048: return 256;   // RFC 7296 §3.4: padded to the length of the prime
    case DhGroup::Ecp256: return 64;      // RFC 5903 §7: x | y, no point-format octet
    case DhGroup::Ecp384: return 96;      // RFC 5903 §7
    case DhGroup::Curve25519: return 32;  // RFC 8031 §3
  }
  return 0;
}

}  // namespace ikemesh::ike
