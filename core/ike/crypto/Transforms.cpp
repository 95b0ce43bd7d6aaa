// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/Transforms.hpp"

#include <map>

namespace ikemesh::ike {

namespace {

/// The IANA IKEv2 registry's names, also of what we do not implement (a refusal names what the
/// peer offered).
const char* registered(const std::map<std::uint16_t, const char*>& names, std::uint16_t id) {
  auto it = names.find(id);
  return it == names.end() ? nullptr : it->second;
}

std::string named(const char* name, const char* prefix, std::uint16_t id) {
  return name ? std::string(name) : prefix + std::to_string(id);
}

}  // namespace

std::string encrName(std::uint16_t id) {
  static const std::map<std::uint16_t, const char*> names{{2, "DES"},
                                                          {3, "3DES"},
                                                          {11, "NULL"},
                                                          {12, "AES-CBC"},
                                                          {13, "AES-CTR"},
                                                          {14, "AES-CCM-8"},
                                                          {15, "AES-CCM-12"},
                                                          {16, "AES-CCM-16"},
                                                          {18, "AES-GCM-8"},
                                                          {19, "AES-GCM-12"},
                                                          {20, "AES-GCM-16"},
                                                          {23, "CAMELLIA-CBC"},
                                                          {28, "CHACHA20-POLY1305"}};
  return named(registered(names, id), "ENCR#", id);
}

std::string prfName(std::uint16_t id) {
  static const std::map<std::uint16_t, const char*> names{
      {1, "PRF-HMAC-MD5"},      {2, "PRF-HMAC-SHA1"},     {4, "PRF-AES128-XCBC"}, {5, "PRF-HMAC-SHA2-256"},
      {6, "PRF-HMAC-SHA2-384"}, {7, "PRF-HMAC-SHA2-512"}, {8, "PRF-AES128-CMAC"}};
  return named(registered(names, id), "PRF#", id);
}

std::string integName(std::uint16_t id) {
  static const std::map<std::uint16_t, const char*> names{
      {0, "NONE"},        {1, "HMAC-MD5-96"},        {2, "HMAC-SHA1-96"},       {5, "AES-XCBC-96"},
      {8, "AES-CMAC-96"}, {12, "HMAC-SHA2-256-128"}, {13, "HMAC-SHA2-384-192"}, {14, "HMAC-SHA2-512-256"}};
  return named(registered(names, id), "INTEG#", id);
}

std::string dhName(std::uint16_t id) {
  static const std::map<std::uint16_t, const char*> names{
      {0, "NONE"},       {1, "MODP-768"},   {2, "MODP-1024"},   {5, "MODP-1536"},  {14, "MODP-2048"},
      {15, "MODP-3072"}, {16, "MODP-4096"}, {17, "MODP-6144"},  {18, "MODP-8192"}, {19, "ECP-256"},
      {20, "ECP-384"},   {21, "ECP-521"},   {31, "Curve25519"}, {32, "Curve448"}};
  return named(registered(names, id), "DH#", id);
}

std::string transformName(EncrAlgorithm algorithm) {
  return encrName(static_cast<std::uint16_t>(algorithm));
}
std::string transformName(PrfAlgorithm algorithm) {
  return prfName(static_cast<std::uint16_t>(algorithm));
}
std::string transformName(IntegAlgorithm algorithm) {
  return integName(static_cast<std::uint16_t>(algorithm));
}
std::string transformName(DhGroup group) {
  return dhName(static_cast<std::uint16_t>(group));
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
