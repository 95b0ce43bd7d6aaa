// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/SkCipher.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>

#include "ike/crypto/Random.hpp"

namespace ikemesh::ike {

namespace {

constexpr std::size_t kAesBlock = 16;
constexpr std::size_t kGcmExplicitIv = 8;  // RFC 5282 §3.1
constexpr std::size_t kGcmSalt = 4;        // RFC 5282 §7.1
constexpr std::size_t kGcmIcv = 16;        // ENCR_AES_GCM_16
constexpr std::size_t kGcmNonce = kGcmSalt + kGcmExplicitIv;

std::string lengthText(std::size_t octets) {
  return std::to_string(octets) + " octets";
}

EVP_CIPHER* fetchCipher(EncrAlgorithm algorithm, std::uint16_t keyBits) {
  const std::string name = "AES-" + std::to_string(keyBits) + (isAead(algorithm) ? "-GCM" : "-CBC");
  return EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr);
}

/// libcrypto's AES-GCM or AES-CBC for the transform's key length, fetched once for the process:
/// fetching is a look-up under a lock, and EVP_aes_256_gcm() and the like would be fetched again
/// by every EVP_CipherInit_ex2 (OpenSSL 3.0). Null if libcrypto has no such cipher.
const EVP_CIPHER* cipherOf(const EncryptionTransform& encryption) {
  static EVP_CIPHER* const gcm[] = {fetchCipher(EncrAlgorithm::AesGcm16, 128),
                                    fetchCipher(EncrAlgorithm::AesGcm16, 192),
                                    fetchCipher(EncrAlgorithm::AesGcm16, 256)};
  static EVP_CIPHER* const cbc[] = {fetchCipher(EncrAlgorithm::AesCbc, 128),
                                    fetchCipher(EncrAlgorithm::AesCbc, 192),
                                    fetchCipher(EncrAlgorithm::AesCbc, 256)};
  const std::size_t keySize = encryption.keyBits == 128 ? 0 : encryption.keyBits == 192 ? 1 : 2;
  return isAead(encryption.algorithm) ? gcm[keySize] : cbc[keySize];
}

/// Feeds the associated data (AES-GCM; none for AES-CBC) and then `input` through `context`,
/// writing as many octets to `output`: neither mode holds any back (AES-GCM is a stream, and
/// AES-CBC gets whole blocks and does no padding). The caller finishes with EVP_CipherFinal_ex.
Result<void> update(EVP_CIPHER_CTX* context, std::span<const std::uint8_t> associatedData,
                    std::span<const std::uint8_t> input, std::uint8_t* output) {
  int written = 0;
  if (!associatedData.empty() && EVP_CipherUpdate(context, nullptr, &written, associatedData.data(),
                                                  static_cast<int>(associatedData.size())) != 1)
    return fail(opensslErrorText());
  written = 0;
  if (!input.empty() &&
      EVP_CipherUpdate(context, output, &written, input.data(), static_cast<int>(input.size())) != 1)
    return fail(opensslErrorText());
  if (static_cast<std::size_t>(written) != input.size())
    return fail("libcrypto wrote " + lengthText(static_cast<std::size_t>(written)) + " for " +
                lengthText(input.size()));
  return success();
}

/// The final step, which has nothing left to write in either mode; for AES-GCM decryption it
/// is the ICV check.
bool finish(EVP_CIPHER_CTX* context) {
  std::array<std::uint8_t, kAesBlock> nothing{};
  int written = 0;
  return EVP_CipherFinal_ex(context, nothing.data(), &written) == 1 && written == 0;
}

}  // namespace

SkCipher::SkCipher(EncryptionTransform encryption, IntegAlgorithm integrity, SecureBytes cipherKey,
                   SecureBytes salt, std::optional<HmacContext> hmac)
    : encryption_(encryption),
      integrity_(integrity),
      cipherKey_(std::move(cipherKey)),
      salt_(std::move(salt)),
      hmac_(std::move(hmac)) {}

Result<UniqueEvpCipherContext> SkCipher::messageContext(bool encrypting,
                                                        std::span<const std::uint8_t> iv) const {
  UniqueEvpCipherContext context(EVP_CIPHER_CTX_new());
  if (!context ||
      EVP_CipherInit_ex2(context.get(), cipherOf(encryption_), cipherKey_.data(), iv.data(),
                         encrypting ? 1 : 0, nullptr) != 1 ||
      (!isAead(encryption_.algorithm) && EVP_CIPHER_CTX_set_padding(context.get(), 0) != 1))
    return fail(transformName(encryption_) +
                ": setting up libcrypto's cipher with SK_e failed: " + opensslErrorText());
  return context;
}

SkCipher::~SkCipher() = default;

Result<std::unique_ptr<SkCipher>> SkCipher::create(const EncryptionTransform& encryption,
                                                   IntegAlgorithm integrity,
                                                   std::span<const std::uint8_t> encryptionKey,
                                                   std::span<const std::uint8_t> integrityKey) {
  if (auto valid = validateTransforms(encryption, integrity); !valid) return std::move(valid).error();
  const std::string name = transformName(encryption);
  if (encryptionKey.size() != encryptionKeyLength(encryption))
    return fail(name + ": SK_e is " + lengthText(encryptionKey.size()) + ", expected " +
                lengthText(encryptionKeyLength(encryption)));
  if (integrityKey.size() != integrityKeyLength(integrity))
    return fail(transformName(integrity) + ": SK_a is " + lengthText(integrityKey.size()) + ", expected " +
                lengthText(integrityKeyLength(integrity)));

  const bool aead = isAead(encryption.algorithm);
  // Whether libcrypto has the cipher is known now, not at the first message. RFC 5282's 12-octet
  // nonce is AES-GCM's default IV length there, so no message needs to set it.
  const EVP_CIPHER* cipher = cipherOf(encryption);
  if (!cipher || EVP_CIPHER_get_key_length(cipher) != static_cast<int>(cipherKeyLength(encryption)) ||
      EVP_CIPHER_get_iv_length(cipher) != static_cast<int>(aead ? kGcmNonce : kAesBlock))
    return fail(name + ": libcrypto has no such cipher: " + opensslErrorText());
  std::optional<HmacContext> hmac;
  if (!aead) {
    auto created = HmacContext::create(HmacContext::hashOf(integrity), integrityKey);
    if (!created) return Error{transformName(integrity) + ": " + created.error().message};
    hmac = std::move(*created);
  }
  return std::unique_ptr<SkCipher>(
      new SkCipher(encryption, integrity, SecureBytes(encryptionKey.first(cipherKeyLength(encryption))),
                   aead ? SecureBytes(encryptionKey.last(kGcmSalt)) : SecureBytes(), std::move(hmac)));
}

std::size_t SkCipher::ivLength() const noexcept {
  return isAead(encryption_.algorithm) ? kGcmExplicitIv : kAesBlock;
}

std::size_t SkCipher::icvLength() const noexcept {
  return isAead(encryption_.algorithm) ? kGcmIcv : integrityChecksumLength(integrity_);
}

std::size_t SkCipher::blockLength() const noexcept {
  return isAead(encryption_.algorithm) ? 1 : kAesBlock;
}

std::size_t SkCipher::protectedLength(std::size_t plaintextLength) const noexcept {
  return ivLength() + plaintextLength + icvLength();
}

Result<std::vector<std::uint8_t>> SkCipher::encrypt(std::span<const std::uint8_t> associatedData,
                                                    std::span<const std::uint8_t> plaintext) {
  std::vector<std::uint8_t> iv(ivLength());
  if (isAead(encryption_.algorithm)) {
    // RFC 5282 §3.1: the IV must never repeat under one key; a counter guarantees it.
    if (nextGcmIv_ == UINT64_MAX)
      return fail(transformName(encryption_) + ": IV space exhausted, rekey the IKE SA");
    const std::uint64_t counter = nextGcmIv_++;
    for (std::size_t i = 0; i < kGcmExplicitIv; ++i)
      iv[i] = static_cast<std::uint8_t>(counter >> (8 * (kGcmExplicitIv - 1 - i)));
  } else {
    // RFC 7296 §3.14: the CBC IV MUST be unpredictable.
    if (auto filled = fillRandom(iv); !filled) return std::move(filled).error();
  }
  return encryptWithIv(iv, associatedData, plaintext);
}

Result<std::vector<std::uint8_t>> SkCipher::encryptWithIv(std::span<const std::uint8_t> iv,
                                                          std::span<const std::uint8_t> associatedData,
                                                          std::span<const std::uint8_t> plaintext) {
  const std::string name = transformName(encryption_);
  if (iv.size() != ivLength())
    return fail(name + ": IV is " + lengthText(iv.size()) + ", expected " + lengthText(ivLength()));
  if (plaintext.size() % blockLength() != 0)
    return fail(name + ": padded plaintext of " + lengthText(plaintext.size()) +
                " is not a multiple of the " + std::to_string(blockLength()) +
                "-octet block (RFC 7296 §3.14 padding is the caller's)");
  if (associatedData.size() > INT_MAX / 2 || plaintext.size() > INT_MAX / 2)
    return fail(name + ": message too large");
  return isAead(encryption_.algorithm) ? encryptGcm(iv, associatedData, plaintext)
                                       : encryptCbc(iv, associatedData, plaintext);
}

Result<std::vector<std::uint8_t>> SkCipher::encryptGcm(std::span<const std::uint8_t> iv,
                                                       std::span<const std::uint8_t> associatedData,
                                                       std::span<const std::uint8_t> plaintext) {
  std::array<std::uint8_t, kGcmNonce> nonce{};  // RFC 5282 §4: salt | explicit IV
  std::copy(salt_.begin(), salt_.end(), nonce.begin());
  std::copy(iv.begin(), iv.end(), nonce.begin() + kGcmSalt);

  std::vector<std::uint8_t> out(protectedLength(plaintext.size()));
  std::copy(iv.begin(), iv.end(), out.begin());
  unsigned char* ciphertext = out.data() + kGcmExplicitIv;
  unsigned char* tag = ciphertext + plaintext.size();
  auto context = messageContext(true, nonce);
  if (!context) return std::move(context).error();
  if (auto updated = update(context->get(), associatedData, plaintext, ciphertext); !updated)
    return fail(transformName(encryption_) + ": encryption failed: " + updated.error().message);
  if (!finish(context->get()) ||
      EVP_CIPHER_CTX_ctrl(context->get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmIcv), tag) <= 0)
    return fail(transformName(encryption_) + ": encryption failed: " + opensslErrorText());
  return out;
}

Result<std::vector<std::uint8_t>> SkCipher::encryptCbc(std::span<const std::uint8_t> iv,
                                                       std::span<const std::uint8_t> associatedData,
                                                       std::span<const std::uint8_t> plaintext) {
  std::vector<std::uint8_t> out(protectedLength(plaintext.size()));
  std::copy(iv.begin(), iv.end(), out.begin());
  unsigned char* ciphertext = out.data() + iv.size();
  auto context = messageContext(true, iv);
  if (!context) return std::move(context).error();
  if (auto updated = update(context->get(), {}, plaintext, ciphertext); !updated)
    return fail(transformName(encryption_) + ": encryption failed: " + updated.error().message);
  if (!finish(context->get()))
    return fail(transformName(encryption_) + ": encryption failed: " + opensslErrorText());
  const std::size_t covered = iv.size() + plaintext.size();
  auto checksum = cbcIntegrityChecksum(associatedData, std::span(out).first(covered));
  if (!checksum) return std::move(checksum).error();
  std::copy(checksum->begin(), checksum->end(), out.begin() + static_cast<std::ptrdiff_t>(covered));
  return out;
}

Result<SecureBytes> SkCipher::cbcIntegrityChecksum(std::span<const std::uint8_t> associatedData,
                                                   std::span<const std::uint8_t> ivAndCiphertext) {
  // RFC 7296 §3.14: the checksum covers the message from the IKE header through the encrypted
  // data; RFC 4868 §2.1.2: truncated to half the hash output.
  if (auto r = hmac_->begin(); !r) return std::move(r).error();
  if (auto r = hmac_->update(associatedData); !r) return std::move(r).error();
  if (auto r = hmac_->update(ivAndCiphertext); !r) return std::move(r).error();
  SecureBytes full(hmac_->outputLength());
  if (auto r = hmac_->finish(full.mutableSpan()); !r) return std::move(r).error();
  full.resize(icvLength());
  return full;
}

Result<std::vector<std::uint8_t>> SkCipher::decrypt(std::span<const std::uint8_t> associatedData,
                                                    std::span<const std::uint8_t> protectedBody) {
  const std::string name = transformName(encryption_);
  if (protectedBody.size() < ivLength() + icvLength())
    return fail(name + ": encrypted payload body is " + lengthText(protectedBody.size()) +
                ", shorter than IV (" + lengthText(ivLength()) + ") plus ICV (" + lengthText(icvLength()) +
                ")");
  const std::size_t ciphertextLength = protectedBody.size() - ivLength() - icvLength();
  if (ciphertextLength % blockLength() != 0)
    return fail(name + ": ciphertext of " + lengthText(ciphertextLength) + " is not a multiple of the " +
                std::to_string(blockLength()) + "-octet block");
  if (associatedData.size() > INT_MAX / 2 || protectedBody.size() > INT_MAX / 2)
    return fail(name + ": message too large");
  return isAead(encryption_.algorithm) ? decryptGcm(associatedData, protectedBody)
                                       : decryptCbc(associatedData, protectedBody);
}

Result<std::vector<std::uint8_t>> SkCipher::decryptGcm(std::span<const std::uint8_t> associatedData,
                                                       std::span<const std::uint8_t> protectedBody) {
  const auto iv = protectedBody.first(kGcmExplicitIv);
  const auto ciphertext =
      protectedBody.subspan(kGcmExplicitIv, protectedBody.size() - kGcmExplicitIv - kGcmIcv);
  std::array<std::uint8_t, kGcmIcv> tag{};
  std::copy_n(protectedBody.end() - kGcmIcv, kGcmIcv, tag.begin());  // the ctrl takes a mutable tag
  std::array<std::uint8_t, kGcmNonce> nonce{};
  std::copy(salt_.begin(), salt_.end(), nonce.begin());
  std::copy(iv.begin(), iv.end(), nonce.begin() + kGcmSalt);

  std::vector<std::uint8_t> plaintext(ciphertext.size());
  auto context = messageContext(false, nonce);
  if (!context) return std::move(context).error();
  if (EVP_CIPHER_CTX_ctrl(context->get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmIcv), tag.data()) <= 0)
    return fail(transformName(encryption_) + ": decryption failed: " + opensslErrorText());
  if (auto updated = update(context->get(), associatedData, ciphertext, plaintext.data()); !updated)
    return fail(transformName(encryption_) + ": decryption failed: " + updated.error().message);
  if (!finish(context->get())) {
    // A mismatch is the peer's (or an attacker's) doing, not libcrypto's: nothing of it may stay
    // queued for the thread's next opensslErrorText().
    ERR_clear_error();
    return fail(transformName(encryption_) +
                ": integrity check failed: the ICV does not match the header, IV and ciphertext "
                "(message modified, or not encrypted with this SK_e)");
  }
  return plaintext;
}

Result<std::vector<std::uint8_t>> SkCipher::decryptCbc(std::span<const std::uint8_t> associatedData,
                                                       std::span<const std::uint8_t> protectedBody) {
  const std::size_t covered = protectedBody.size() - icvLength();
  auto expected = cbcIntegrityChecksum(associatedData, protectedBody.first(covered));
  if (!expected) return std::move(expected).error();
  // Checked before decrypting (encrypt-then-MAC), in constant time.
  if (CRYPTO_memcmp(expected->data(), protectedBody.data() + covered, icvLength()) != 0)
    return fail(transformName(integrity_) +
                ": integrity check failed: the ICV does not match the header, IV and ciphertext "
                "(message modified, or not protected with this SK_a)");

  const auto iv = protectedBody.first(kAesBlock);
  const auto ciphertext = protectedBody.subspan(kAesBlock, covered - kAesBlock);
  std::vector<std::uint8_t> plaintext(ciphertext.size());
  if (ciphertext.empty()) return plaintext;
  auto context = messageContext(false, iv);
  if (!context) return std::move(context).error();
  if (auto updated = update(context->get(), {}, ciphertext, plaintext.data()); !updated)
    return fail(transformName(encryption_) + ": decryption failed: " + updated.error().message);
  if (!finish(context->get()))
    return fail(transformName(encryption_) + ": decryption failed: " + opensslErrorText());
  return plaintext;
}

}  // namespace ikemesh::ike
