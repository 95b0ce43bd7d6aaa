// SPDX-License-Identifier: GPL-2.0-or-later
// Key derivation for IKE SAs and CHILD SAs (RFC 7296 §2.14, §2.17, §2.18).
#pragma once

#include <cstdint>
#include <span>

#include <ikemesh/result.hpp>

#include "ike/crypto/SecureBytes.hpp"
#include "ike/crypto/Transforms.hpp"

namespace ikemesh::ike {

/// The transforms an IKE SA negotiated that decide its key lengths.
struct IkeSaTransforms {
  EncryptionTransform encryption;
  IntegAlgorithm integrity = IntegAlgorithm::None;  // None with AES-GCM
  PrfAlgorithm prf = PrfAlgorithm::HmacSha2_256;
};

/// The seven IKE SA secrets, in the order prf+ produces them (RFC 7296 §2.14). SK_ai and SK_ar
/// are empty for an AEAD cipher; SK_ei and SK_er include the AES-GCM salt as their last 4 octets.
struct IkeSaKeys {
  SecureBytes skD;
  SecureBytes skAi;
  SecureBytes skAr;
  SecureBytes skEi;
  SecureBytes skEr;
  SecureBytes skPi;
  SecureBytes skPr;
};

/// SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14). `sharedSecret` is g^ir as KeyExchange gives it.
Result<SecureBytes> deriveSkeyseed(PrfAlgorithm prf, std::span<const std::uint8_t> nonceInitiator,
                                   std::span<const std::uint8_t> nonceResponder,
                                   std::span<const std::uint8_t> sharedSecret);

/// SKEYSEED of an IKE SA created by rekeying (RFC 7296 §2.18):
/// prf(SK_d (old), g^ir (new) | Ni | Nr), with the OLD IKE SA's PRF; Ni and Nr are the nonces
/// of the CREATE_CHILD_SA exchange.
Result<SecureBytes> deriveRekeyedSkeyseed(PrfAlgorithm oldPrf, std::span<const std::uint8_t> oldSkD,
                                          std::span<const std::uint8_t> newSharedSecret,
                                          std::span<const std::uint8_t> nonceInitiator,
                                          std::span<const std::uint8_t> nonceResponder);

/// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
/// (RFC 7296 §2.14), each cut to its transform's length. SPIs are the 8 octets of the IKE header.
Result<IkeSaKeys> deriveIkeSaKeys(const IkeSaTransforms& transforms, std::span<const std::uint8_t> skeyseed,
                                  std::span<const std::uint8_t> nonceInitiator,
                                  std::span<const std::uint8_t> nonceResponder,
                                  std::span<const std::uint8_t, 8> spiInitiator,
                                  std::span<const std::uint8_t, 8> spiResponder);

/// The transforms a CHILD SA (ESP) negotiated that decide its key lengths.
struct ChildSaTransforms {
  EncryptionTransform encryption;
  IntegAlgorithm integrity = IntegAlgorithm::None;  // None with AES-GCM
};

/// One direction of an ESP SA: what the dataplane needs to program it.
struct EspKeys {
  /// The cipher key; for AES-GCM followed by the 4-octet salt (RFC 4106 §8.1), the layout
  /// both XFRM (rfc4106(gcm(aes)) key) and userspace ESP take.
  SecureBytes encryptionKey;
  /// The HMAC key; empty for AES-GCM.
  SecureBytes integrityKey;
};

/// Both directions of a CHILD SA's keys.
struct ChildSaKeys {
  EspKeys initiatorToResponder;
  EspKeys responderToInitiator;
};

/// KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) with PFS (RFC 7296 §2.17),
/// split as §2.17 says: the initiator-to-responder SA's keys first, each SA's encryption key
/// (with salt) before its integrity key. Pass an empty `newSharedSecret` without PFS.
Result<ChildSaKeys> deriveChildSaKeys(PrfAlgorithm prf, std::span<const std::uint8_t> skD,
                                      const ChildSaTransforms& transforms,
                                      std::span<const std::uint8_t> newSharedSecret,
                                      std::span<const std::uint8_t> nonceInitiator,
                                      std::span<const std::uint8_t> nonceResponder);

}  // namespace ikemesh::ike
