// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/KeyDerivation.hpp"

#include <string>

#include "ike/crypto/Prf.hpp"

namespace ikemesh::ike {

namespace {

Result<void> requireNonces(std::span<const std::uint8_t> nonceInitiator,
                           std::span<const std::uint8_t> nonceResponder) {
  if (nonceInitiator.empty()) return fail("Ni is empty");
  if (nonceResponder.empty()) return fail("Nr is empty");
  return success();
}

/// Cuts consecutive keys out of prf+ output, in the order they are taken.
class KeyCutter {
 public:
  explicit KeyCutter(const SecureBytes& material) : material_(material) {}
  SecureBytes take(std::size_t length) {
    SecureBytes key = material_.slice(offset_, length);
    offset_ += length;
    return key;
  }

 private:
  const SecureBytes& material_;
  std::size_t offset_ = 0;
};

}  // namespace

Result<SecureBytes> deriveSkeyseed(PrfAlgorithm prf, std::span<const std::uint8_t> nonceInitiator,
                                   std::span<const std::uint8_t> nonceResponder,
                                   std::span<const std::uint8_t> sharedSecret) {
  if (auto r = requireNonces(nonceInitiator, nonceResponder); !r)
    return Error{"SKEYSEED: " + r.error().message};
  if (sharedSecret.empty()) return fail("SKEYSEED: g^ir is empty");
  // RFC 7296 §2.14: for HMAC PRFs the whole Ni | Nr is the key (no truncation as for AES-XCBC).
  SecureBytes key(nonceInitiator);
  key.append(nonceResponder);
  return ike::prf(prf, key, sharedSecret);
}

Result<SecureBytes> deriveRekeyedSkeyseed(PrfAlgorithm oldPrf, std::span<const std::uint8_t> oldSkD,
                                          std::span<const std::uint8_t> newSharedSecret,
                                          std::span<const std::uint8_t> nonceInitiator,
                                          std::span<const std::uint8_t> nonceResponder) {
  if (auto r = requireNonces(nonceInitiator, nonceResponder); !r)
    return Error{"rekeyed SKEYSEED: " + r.error().message};
  if (oldSkD.empty()) return fail("rekeyed SKEYSEED: SK_d of the old IKE SA is empty");
  if (newSharedSecret.empty())
    return fail("rekeyed SKEYSEED: g^ir (new) is empty (RFC 7296 §2.18 requires a KE)");
  SecureBytes data(newSharedSecret);
  data.append(nonceInitiator);
  data.append(nonceResponder);
  return ike::prf(oldPrf, oldSkD, data);
}

Result<IkeSaKeys> deriveIkeSaKeys(const IkeSaTransforms& transforms, std::span<const std::uint8_t> skeyseed,
                                  std::span<const std::uint8_t> nonceInitiator,
                                  std::span<const std::uint8_t> nonceResponder,
                                  std::span<const std::uint8_t, 8> spiInitiator,
                                  std::span<const std::uint8_t, 8> spiResponder) {
  if (auto r = validateTransforms(transforms.encryption, transforms.integrity); !r)
    return Error{"IKE SA keys: " + r.error().message};
  if (auto r = requireNonces(nonceInitiator, nonceResponder); !r)
    return Error{"IKE SA keys: " + r.error().message};
  if (skeyseed.empty()) return fail("IKE SA keys: SKEYSEED is empty");

  // RFC 7296 §2.14: SK_d, SK_pi, SK_pr take the PRF's preferred key length; SK_a the integrity
  // key length; SK_e the cipher key (with salt for AEAD, RFC 5282 §7.1).
  const std::size_t prfKey = prfOutputLength(transforms.prf);
  const std::size_t integKey = integrityKeyLength(transforms.integrity);
  const std::size_t encrKey = encryptionKeyLength(transforms.encryption);
  const std::size_t total = 3 * prfKey + 2 * integKey + 2 * encrKey;

  SecureBytes seed(nonceInitiator);
  seed.append(nonceResponder);
  seed.append(spiInitiator);
  seed.append(spiResponder);
  auto material = prfPlus(transforms.prf, skeyseed, seed, total);
  if (!material) return Error{"IKE SA keys: " + material.error().message};

  KeyCutter cut(*material);
  IkeSaKeys keys;
  keys.skD = cut.take(prfKey);
  keys.skAi = cut.take(integKey);
  keys.skAr = cut.take(integKey);
  keys.skEi = cut.take(encrKey);
  keys.skEr = cut.take(encrKey);
  keys.skPi = cut.take(prfKey);
  keys.skPr = cut.take(prfKey);
  return keys;
}

Result<ChildSaKeys> deriveChildSaKeys(PrfAlgorithm prf, std::span<const std::uint8_t> skD,
                                      const ChildSaTransforms& transforms,
                                      std::span<const std::uint8_t> newSharedSecret,
                                      std::span<const std::uint8_t> nonceInitiator,
                                      std::span<const std::uint8_t> nonceResponder) {
  if (auto r = validateTransforms(transforms.encryption, transforms.integrity); !r)
    return Error{"CHILD SA keys: " + r.error().message};
  if (auto r = requireNonces(nonceInitiator, nonceResponder); !r)
    return Error{"CHILD SA keys: " + r.error().message};
  if (skD.empty()) return fail("CHILD SA keys: SK_d is empty");

  const std::size_t encrKey = encryptionKeyLength(transforms.encryption);
  const std::size_t integKey = integrityKeyLength(transforms.integrity);

  SecureBytes seed(newSharedSecret);  // RFC 7296 §2.17: g^ir (new) first when PFS is used
  seed.append(nonceInitiator);
  seed.append(nonceResponder);
  auto keymat = prfPlus(prf, skD, seed, 2 * (encrKey + integKey));
  if (!keymat) return Error{"CHILD SA keys: " + keymat.error().message};

  // RFC 7296 §2.17: initiator-to-responder first; encryption key(s) before integrity key(s).
  KeyCutter cut(*keymat);
  ChildSaKeys keys;
  keys.initiatorToResponder.encryptionKey = cut.take(encrKey);
  keys.initiatorToResponder.integrityKey = cut.take(integKey);
  keys.responderToInitiator.encryptionKey = cut.take(encrKey);
  keys.responderToInitiator.integrityKey = cut.take(integKey);
  return keys;
}

}  // namespace ikemesh::ike
