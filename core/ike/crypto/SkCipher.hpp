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
#include "util/OpensslHandles.hpp"

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
/// On OpenSSL's libcrypto, not NSS: NSS imported SK_e as a softoken object and made a context
/// for every message, about 4 % of a responder's CPU per handshake, under NSS's locks (perf,
/// bench/ike_load.sh). Still nothing is kept between messages, for the memory of idle IKE SAs:
/// a cipher context is made per message from SK_e, which we hold in SecureBytes anyway. An IKE
/// SA is mostly idle and its messages are rare (bench/ike_load.sh: responder memory per IKE
/// SA + CHILD SA); a kept NSS key was a softoken object of about 5 KB, most of an idle IKE SA's
/// memory, and a kept libcrypto AES-GCM context would still be 1.1 KB per direction and
/// operation. Freeing libcrypto's cipher context (EVP_CIPHER_CTX_free) cleanses the key
/// schedule it holds (OPENSSL_clear_free).
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
  /// A libcrypto context for one message with SK_e and `iv` set (for AES-GCM the 12-octet
  /// nonce), to encrypt or to decrypt; for AES-CBC without padding (the caller's, RFC 7296 §3.14).
  Result<UniqueEvpCipherContext> messageContext(bool encrypting, std::span<const std::uint8_t> iv) const;

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
