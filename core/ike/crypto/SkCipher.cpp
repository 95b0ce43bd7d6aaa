// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/SkCipher.hpp"

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

SECItem itemOf(std::span<const std::uint8_t> bytes) {
  return SECItem{siBuffer, const_cast<unsigned char*>(bytes.data()), static_cast<unsigned>(bytes.size())};
}

std::string lengthText(std::size_t octets) {
  return std::to_string(octets) + " octets";
}

}  // namespace

SkCipher::SkCipher(EncryptionTransform encryption, IntegAlgorithm integrity, SecureBytes cipherKey,
                   SecureBytes salt, std::optional<HmacContext> hmac)
    : encryption_(encryption),
      integrity_(integrity),
      cipherKey_(std::move(cipherKey)),
      salt_(std::move(salt)),
      hmac_(std::move(hmac)) {}

Result<UniqueSymKey> SkCipher::importCipherKey() const {
  const CK_MECHANISM_TYPE mechanism = isAead(encryption_.algorithm) ? CKM_AES_GCM : CKM_AES_CBC;
  UniqueSlot slot(PK11_GetInternalSlot());
  if (!slot)
    return fail(transformName(encryption_) +
                ": no NSS internal slot (is NSS initialised?): " + nssErrorText());
  SECItem keyItem = itemOf(std::span<const std::uint8_t>(cipherKey_.data(), cipherKey_.size()));
  UniqueSymKey key(PK11_ImportSymKeyWithFlags(slot.get(), mechanism, PK11_OriginUnwrap, CKA_ENCRYPT, &keyItem,
                                              CKF_ENCRYPT | CKF_DECRYPT, PR_FALSE, nullptr));
  if (!key) return fail(transformName(encryption_) + ": importing SK_e into NSS failed: " + nssErrorText());
  return key;
}

Result<UniqueContext> SkCipher::gcmContext(PK11SymKey* key, CK_ATTRIBUTE_TYPE operation) const {
  SECItem noParams{siBuffer, nullptr, 0};
  UniqueContext context(PK11_CreateContextBySymKey(CKM_AES_GCM, CKA_NSS_MESSAGE | operation, key, &noParams));
  if (!context)
    return fail(transformName(encryption_) + ": creating the NSS AES-GCM context failed: " + nssErrorText());
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
  std::optional<HmacContext> hmac;
  if (!aead) {
    auto created = HmacContext::create(HmacContext::hashOf(integrity), integrityKey);
    if (!created) return Error{transformName(integrity) + ": " + created.error().message};
    hmac = std::move(*created);
  }
  std::unique_ptr<SkCipher> cipher(
      new SkCipher(encryption, integrity, SecureBytes(encryptionKey.first(cipherKeyLength(encryption))),
                   aead ? SecureBytes(encryptionKey.last(kGcmSalt)) : SecureBytes(), std::move(hmac)));
  // Whether NSS takes the key (and, for AES-GCM, makes a context) is known now, not at the
  // first message; nothing is kept.
  auto key = cipher->importCipherKey();
  if (!key) return std::move(key).error();
  if (aead)
    if (auto context = cipher->gcmContext(key->get(), CKA_ENCRYPT); !context)
      return std::move(context).error();
  return cipher;
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
  auto key = importCipherKey();
  if (!key) return std::move(key).error();
  auto context = gcmContext(key->get(), CKA_ENCRYPT);
  if (!context) return std::move(context).error();
  int written = 0;
  if (PK11_AEADOp(context->get(), CKG_NO_GENERATE, 0, nonce.data(), static_cast<int>(nonce.size()),
                  associatedData.data(), static_cast<int>(associatedData.size()), ciphertext, &written,
                  static_cast<int>(plaintext.size()), tag, static_cast<int>(kGcmIcv), plaintext.data(),
                  static_cast<int>(plaintext.size())) != SECSuccess)
    return fail(transformName(encryption_) + ": encryption failed: " + nssErrorText());
  if (static_cast<std::size_t>(written) != plaintext.size())
    return fail(transformName(encryption_) + ": NSS wrote " + lengthText(static_cast<std::size_t>(written)) +
                " of ciphertext for " + lengthText(plaintext.size()));
  return out;
}

Result<std::vector<std::uint8_t>> SkCipher::encryptCbc(std::span<const std::uint8_t> iv,
                                                       std::span<const std::uint8_t> associatedData,
                                                       std::span<const std::uint8_t> plaintext) {
  std::vector<std::uint8_t> out(protectedLength(plaintext.size()));
  std::copy(iv.begin(), iv.end(), out.begin());
  auto key = importCipherKey();
  if (!key) return std::move(key).error();
  SECItem ivItem = itemOf(iv);
  unsigned written = 0;
  if (PK11_Encrypt(key->get(), CKM_AES_CBC, &ivItem, out.data() + iv.size(), &written,
                   static_cast<unsigned>(plaintext.size()), plaintext.data(),
                   static_cast<unsigned>(plaintext.size())) != SECSuccess)
    return fail(transformName(encryption_) + ": encryption failed: " + nssErrorText());
  if (written != plaintext.size())
    return fail(transformName(encryption_) + ": NSS wrote " + lengthText(written) + " of ciphertext for " +
                lengthText(plaintext.size()));
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
  std::copy_n(protectedBody.end() - kGcmIcv, kGcmIcv, tag.begin());  // NSS wants a mutable tag
  std::array<std::uint8_t, kGcmNonce> nonce{};
  std::copy(salt_.begin(), salt_.end(), nonce.begin());
  std::copy(iv.begin(), iv.end(), nonce.begin() + kGcmSalt);

  std::vector<std::uint8_t> plaintext(ciphertext.size());
  int written = 0;
  // NSS needs a non-null output pointer even for an empty plaintext.
  unsigned char emptyOutput = 0;
  unsigned char* output = plaintext.empty() ? &emptyOutput : plaintext.data();
  auto key = importCipherKey();
  if (!key) return std::move(key).error();
  auto context = gcmContext(key->get(), CKA_DECRYPT);
  if (!context) return std::move(context).error();
  PORT_SetError(0);
  if (PK11_AEADOp(context->get(), CKG_NO_GENERATE, 0, nonce.data(), static_cast<int>(nonce.size()),
                  associatedData.data(), static_cast<int>(associatedData.size()), output, &written,
                  static_cast<int>(plaintext.size()), tag.data(), static_cast<int>(tag.size()),
                  ciphertext.data(), static_cast<int>(ciphertext.size())) != SECSuccess) {
    const PRErrorCode code = PORT_GetError();
    if (code == SEC_ERROR_BAD_DATA || code == 0)
      return fail(transformName(encryption_) +
                  ": integrity check failed: the ICV does not match the header, IV and ciphertext "
                  "(message modified, or not encrypted with this SK_e)");
    return fail(transformName(encryption_) + ": decryption failed: " + nssErrorText());
  }
  plaintext.resize(static_cast<std::size_t>(written));
  return plaintext;
}

Result<std::vector<std::uint8_t>> SkCipher::decryptCbc(std::span<const std::uint8_t> associatedData,
                                                       std::span<const std::uint8_t> protectedBody) {
  const std::size_t covered = protectedBody.size() - icvLength();
  auto expected = cbcIntegrityChecksum(associatedData, protectedBody.first(covered));
  if (!expected) return std::move(expected).error();
  // Checked before decrypting (encrypt-then-MAC), in constant time.
  if (NSS_SecureMemcmp(expected->data(), protectedBody.data() + covered, icvLength()) != 0)
    return fail(transformName(integrity_) +
                ": integrity check failed: the ICV does not match the header, IV and ciphertext "
                "(message modified, or not protected with this SK_a)");

  const auto iv = protectedBody.first(kAesBlock);
  const auto ciphertext = protectedBody.subspan(kAesBlock, covered - kAesBlock);
  std::vector<std::uint8_t> plaintext(ciphertext.size());
  if (ciphertext.empty()) return plaintext;
  auto key = importCipherKey();
  if (!key) return std::move(key).error();
  SECItem ivItem = itemOf(iv);
  unsigned written = 0;
  if (PK11_Decrypt(key->get(), CKM_AES_CBC, &ivItem, plaintext.data(), &written,
                   static_cast<unsigned>(plaintext.size()), ciphertext.data(),
                   static_cast<unsigned>(ciphertext.size())) != SECSuccess)
    return fail(transformName(encryption_) + ": decryption failed: " + nssErrorText());
  plaintext.resize(written);
  return plaintext;
}

}  // namespace ikemesh::ike
