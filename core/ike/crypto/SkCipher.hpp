// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/crypto/HmacContext.hpp"
#include "ike/crypto/SecureBytes.hpp"
#include "ike/crypto/Transforms.hpp"
#include "util/NssHandles.hpp"

namespace ikemesh::ike {

/// Protection of the Encrypted (SK) payload (RFC 7296 §3.14), and of the Encrypted Fragment
/// (SKF) payload of RFC 7383, with ONE direction's keys: an IKE SA holds one SkCipher built from
/// SK_ei/SK_ai and one from SK_er/SK_ar; the sender encrypts and the receiver decrypts with the
/// sender's keys.
///
/// The protected body this class produces and consumes is what follows the payload's generic
/// header:  IV | ciphertext | ICV.  `associatedData` is every octet of the message before it:
/// the IKE header through the SK payload header (RFC 5282 §5.1; with CBC+HMAC it is the start
/// of what the integrity checksum covers, RFC 7296 §3.14). Its length fields must already hold
/// their final values: use protectedLength() to compute them.
///
/// Plaintext is given and returned WITH its padding and Pad Length octet (RFC 7296 §3.14): the
/// message codec owns that layout. For AES-CBC its length must be a multiple of 16.
///
///  - AES-GCM-16 (RFC 5282): SK_e = key | 4-octet salt; nonce = salt | 8-octet explicit IV; the
///    explicit IV is a per-instance counter, so never build two instances over the same key in
///    the same direction.
///  - AES-CBC + HMAC-SHA2 (RFC 3602, RFC 4868): random 16-octet IV; ICV = HMAC(SK_a,
///    associatedData | IV | ciphertext) truncated to half the hash output.
///
/// NSS holds no key object or context between messages: SK_e is imported per message. An
/// imported key is a softoken session object of about 5 KB (its attribute slots), two per IKE
/// SA and most of an idle IKE SA's memory, while IKE messages are rare (bench/ike_load.sh:
/// responder memory per IKE SA + CHILD SA); the import costs microseconds per message.
///
/// Not thread-safe: one thread at a time (the IKE SA's).
class SkCipher {
 public:
  /// `encryptionKey` is SK_e (with salt for AES-GCM); `integrityKey` SK_a (empty for AES-GCM).
  static Result<std::unique_ptr<SkCipher>> create(const EncryptionTransform& encryption,
                                                  IntegAlgorithm integrity,
                                                  std::span<const std::uint8_t> encryptionKey,
                                                  std::span<const std::uint8_t> integrityKey);

  SkCipher(const SkCipher&) = delete;
  SkCipher& operator=(const SkCipher&) = delete;
  ~SkCipher();

  std::size_t ivLength() const noexcept;   // 8 for AES-GCM, 16 for AES-CBC
  std::size_t icvLength() const noexcept;  // 16 for AES-GCM, the truncated HMAC length for CBC
  /// Plaintext (incl. padding) must be a multiple of this: 16 for AES-CBC, 1 for AES-GCM.
  std::size_t blockLength() const noexcept;
  /// IV + ciphertext + ICV octets for `plaintextLength` octets of padded plaintext.
  std::size_t protectedLength(std::size_t plaintextLength) const noexcept;

  /// IV | ciphertext | ICV with a fresh IV.
  Result<std::vector<std::uint8_t>> encrypt(std::span<const std::uint8_t> associatedData,
                                            std::span<const std::uint8_t> plaintext);

  /// As encrypt() with the caller's IV: for known-answer tests and interop replay only. Reusing
  /// an IV with AES-GCM under the same key destroys confidentiality and integrity.
  Result<std::vector<std::uint8_t>> encryptWithIv(std::span<const std::uint8_t> iv,
                                                  std::span<const std::uint8_t> associatedData,
                                                  std::span<const std::uint8_t> plaintext);

  /// Verifies the ICV of `protectedBody` (IV | ciphertext | ICV) over the associated data and
  /// decrypts: the plaintext with its padding, or an error saying which check failed.
  Result<std::vector<std::uint8_t>> decrypt(std::span<const std::uint8_t> associatedData,
                                            std::span<const std::uint8_t> protectedBody);

 private:
  SkCipher(EncryptionTransform encryption, IntegAlgorithm integrity, SecureBytes cipherKey, SecureBytes salt,
           std::optional<HmacContext> hmac);
  /// SK_e (without the salt) as an NSS key, for one message.
  Result<UniqueSymKey> importCipherKey() const;
  /// An AES-GCM message context over `key` for CKA_ENCRYPT or CKA_DECRYPT.
  Result<UniqueContext> gcmContext(PK11SymKey* key, CK_ATTRIBUTE_TYPE operation) const;

  Result<std::vector<std::uint8_t>> encryptGcm(std::span<const std::uint8_t> iv,
                                               std::span<const std::uint8_t> associatedData,
                                               std::span<const std::uint8_t> plaintext);
  Result<std::vector<std::uint8_t>> encryptCbc(std::span<const std::uint8_t> iv,
                                               std::span<const std::uint8_t> associatedData,
                                               std::span<const std::uint8_t> plaintext);
  Result<std::vector<std::uint8_t>> decryptGcm(std::span<const std::uint8_t> associatedData,
                                               std::span<const std::uint8_t> protectedBody);
  Result<std::vector<std::uint8_t>> decryptCbc(std::span<const std::uint8_t> associatedData,
                                               std::span<const std::uint8_t> protectedBody);
  Result<SecureBytes> cbcIntegrityChecksum(std::span<const std::uint8_t> associatedData,
                                           std::span<const std::uint8_t> ivAndCiphertext);

  EncryptionTransform encryption_;
  IntegAlgorithm integrity_;
  SecureBytes cipherKey_;            // SK_e without the AES-GCM salt
  SecureBytes salt_;                 // AES-GCM only
  std::optional<HmacContext> hmac_;  // AES-CBC only
  std::uint64_t nextGcmIv_ = 0;
};

}  // namespace ikemesh::ike
