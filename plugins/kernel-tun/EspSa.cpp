// SPDX-License-Identifier: GPL-2.0-or-later
#include "EspSa.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

namespace ikemesh::tun {

namespace {

constexpr std::size_t kGcmSaltLength = 4;  // RFC 4106 §8.1
constexpr std::size_t kGcmIvLength = 8;    // RFC 4106 §3.1
constexpr std::size_t kGcmIcvLength = 16;  // ENCR_AES_GCM_16
constexpr std::size_t kAesBlock = 16;
constexpr std::uint8_t kNextHeaderIpv4 = 4;
constexpr std::uint8_t kNextHeaderIpv6 = 41;
constexpr std::uint8_t kNextHeaderNone = 59;  // RFC 4303 §2.6: dummy packet
constexpr std::size_t kMaxIcvLength = 32;

std::uint32_t loadBe32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
void storeBe32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

SECItem itemOf(std::span<const std::uint8_t> bytes) {
  return SECItem{siBuffer, const_cast<unsigned char*>(bytes.data()), static_cast<unsigned>(bytes.size())};
}

struct IntegrityInfo {
  CK_MECHANISM_TYPE mechanism;
  std::size_t keyLength;
  std::size_t icvLength;  // RFC 4868 §2.3: half the hash output
  const char* name;
};

std::optional<IntegrityInfo> integrityInfo(IntegrityId id) {
  switch (id) {
    case IntegrityId::HmacSha2_256_128: return IntegrityInfo{CKM_SHA256_HMAC, 32, 16, "HMAC-SHA2-256-128"};
    case IntegrityId::HmacSha2_384_192: return IntegrityInfo{CKM_SHA384_HMAC, 48, 24, "HMAC-SHA2-384-192"};
    case IntegrityId::HmacSha2_512_256: return IntegrityInfo{CKM_SHA512_HMAC, 64, 32, "HMAC-SHA2-512-256"};
    case IntegrityId::None: break;
  }
  return std::nullopt;
}

std::int64_t ticksOf(std::chrono::system_clock::time_point t) noexcept {
  return t.time_since_epoch().count();
}

/// The time of every packet's use of its SA, in system_clock ticks, from CLOCK_REALTIME_COARSE:
/// the kernel's last timer tick, at most a few milliseconds old, read without the TSC. The
/// precise clock was 2 % of a packet thread's CPU (perf, bench/tun_throughput.sh); what reads
/// the time (the idle-context sweep, `lastUse` in trafficstatus, the idle check before a
/// rekey) counts in seconds.
std::int64_t coarseTicksNow() noexcept {
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec))
      .count();
}

}  // namespace

const char* describe(EspStatus status) noexcept {
  switch (status) {
    case EspStatus::Ok: return "ok";
    case EspStatus::TooShort: return "packet too short or not a whole number of cipher blocks";
    case EspStatus::BufferTooSmall: return "output buffer too small";
    case EspStatus::Replayed: return "replayed or older than the anti-replay window (RFC 4303 §3.4.3)";
    case EspStatus::IntegrityFailed: return "integrity check failed (RFC 4303 §3.4.4)";
    case EspStatus::BadPadding: return "padding is not 1, 2, 3, ... (RFC 4303 §2.4)";
    case EspStatus::BadNextHeader: return "next header does not match the inner packet (RFC 4303 §2.6)";
    case EspStatus::DummyPacket: return "dummy packet, next header 59 (RFC 4303 §2.6)";
    case EspStatus::SequenceExhausted: return "sequence number space exhausted, rekey (RFC 4303 §3.3.3)";
    case EspStatus::Expired: return "SA reached its hard lifetime";
    case EspStatus::CryptoFailed: return "NSS refused the operation";
  }
  return "unknown";
}

/// The NSS objects of one SA, created once (creating a context per packet costs several times
/// the AES work itself). AES-GCM keeps its key too, so that an idle SA can give its context back
/// and make it again at its next packet (releaseIdleContext()).
struct EspSa::Keys {
  UniqueSymKey cipherKey;
  UniqueContext gcm;  // AES-GCM: a message context for this SA's direction; guarded by gcmLock_
  std::array<std::uint8_t, kGcmSaltLength> salt{};
  std::array<std::uint8_t, 32> gcmKey{};  // AES-GCM: the key without its salt
  std::size_t gcmKeyLength = 0;
  CK_ATTRIBUTE_TYPE gcmOperation = CKA_ENCRYPT;
  UniqueSymKey integrityKey;  // AES-CBC: HMAC key and its reusable context
  UniqueContext hmac;
  std::size_t hmacOutputLength = 0;
  ~Keys() {
    explicit_bzero(salt.data(), salt.size());
    explicit_bzero(gcmKey.data(), gcmKey.size());
  }

  /// The AES-GCM key object and message context of this SA (again); false when NSS refuses.
  bool makeGcmContext() noexcept {
    UniqueSlot slot(PK11_GetInternalSlot());
    if (!slot) return false;
    SECItem keyItem = itemOf(std::span<const std::uint8_t>(gcmKey).first(gcmKeyLength));
    cipherKey.reset(PK11_ImportSymKeyWithFlags(slot.get(), CKM_AES_GCM, PK11_OriginUnwrap, CKA_ENCRYPT,
                                               &keyItem, CKF_ENCRYPT | CKF_DECRYPT, PR_FALSE, nullptr));
    if (!cipherKey) return false;
    SECItem noParams{siBuffer, nullptr, 0};
    gcm.reset(
        PK11_CreateContextBySymKey(CKM_AES_GCM, CKA_NSS_MESSAGE | gcmOperation, cipherKey.get(), &noParams));
    return gcm != nullptr;
  }
};

Result<std::unique_ptr<EspSa>> EspSa::create(const SaParams& params,
                                             std::chrono::system_clock::time_point now) {
  const std::string who = "ESP SA 0x" + [&] {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", params.ref.spi);
    return std::string(text);
  }();
  if (params.ref.spi < 256) return fail(who + ": SPI values 0-255 are reserved (RFC 4303 §2.1)");
  auto keys = std::make_unique<Keys>();
  UniqueSlot slot(PK11_GetInternalSlot());
  if (!slot) return fail(who + ": no NSS internal slot (is NSS initialised?): " + nssErrorText());
  const std::span<const std::uint8_t> key(params.encryptionKey);
  SECItem noParams{siBuffer, nullptr, 0};

  if (params.encryption == EncryptionId::AesGcm16) {
    if (params.integrity != IntegrityId::None)
      return fail(who + ": AES-GCM-16 is an AEAD cipher; integrity must be none (RFC 4106 §8.3)");
    if (key.size() != 16 + kGcmSaltLength && key.size() != 24 + kGcmSaltLength &&
        key.size() != 32 + kGcmSaltLength)
      return fail(who + ": AES-GCM-16 key with salt is " + std::to_string(key.size()) +
                  " octets, expected 20, 28 or 36 (RFC 4106 §8.1)");
    std::copy(key.end() - kGcmSaltLength, key.end(), keys->salt.begin());
    keys->gcmKeyLength = key.size() - kGcmSaltLength;
    std::copy(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(keys->gcmKeyLength),
              keys->gcmKey.begin());
    keys->gcmOperation = params.direction == SaDirection::Outbound ? CKA_ENCRYPT : CKA_DECRYPT;
    // Made now, so that a key NSS refuses is an error of addSa() and not of the first packet.
    if (!keys->makeGcmContext())
      return fail(who + ": creating the AES-GCM key and context failed: " + nssErrorText());
  } else if (params.encryption == EncryptionId::AesCbc) {
    auto integrity = integrityInfo(params.integrity);
    if (!integrity) return fail(who + ": AES-CBC needs an integrity algorithm (RFC 4303 §3.2)");
    if (key.size() != 16 && key.size() != 24 && key.size() != 32)
      return fail(who + ": AES-CBC key is " + std::to_string(key.size()) + " octets, expected 16, 24 or 32");
    if (params.integrityKey.size() != integrity->keyLength)
      return fail(who + ": " + integrity->name + " key is " + std::to_string(params.integrityKey.size()) +
                  " octets, expected " + std::to_string(integrity->keyLength) + " (RFC 4868 §2.1.1)");
    SECItem keyItem = itemOf(key);
    keys->cipherKey.reset(PK11_ImportSymKeyWithFlags(slot.get(), CKM_AES_CBC, PK11_OriginUnwrap, CKA_ENCRYPT,
                                                     &keyItem, CKF_ENCRYPT | CKF_DECRYPT, PR_FALSE, nullptr));
    if (!keys->cipherKey) return fail(who + ": importing the AES-CBC key failed: " + nssErrorText());
    SECItem integrityItem = itemOf(params.integrityKey);
    keys->integrityKey.reset(PK11_ImportSymKey(slot.get(), integrity->mechanism, PK11_OriginUnwrap, CKA_SIGN,
                                               &integrityItem, nullptr));
    if (!keys->integrityKey) return fail(who + ": importing the HMAC key failed: " + nssErrorText());
    keys->hmac.reset(
        PK11_CreateContextBySymKey(integrity->mechanism, CKA_SIGN, keys->integrityKey.get(), &noParams));
    if (!keys->hmac) return fail(who + ": creating the HMAC context failed: " + nssErrorText());
    keys->hmacOutputLength = integrity->icvLength * 2;
  } else {
    return fail(who + ": encryption transform " + std::to_string(static_cast<int>(params.encryption)) +
                " is not supported (AES-GCM-16 and AES-CBC are)");
  }
  return std::unique_ptr<EspSa>(new EspSa(params, std::move(keys), now));
}

EspSa::EspSa(const SaParams& params, std::unique_ptr<Keys> keys, std::chrono::system_clock::time_point now)
    : ref_(params.ref),
      direction_(params.direction),
      mode_(params.mode),
      esn_(params.extendedSequenceNumbers),
      aead_(params.encryption == EncryptionId::AesGcm16),
      ivLength_(aead_ ? kGcmIvLength : kAesBlock),
      icvLength_(aead_ ? kGcmIcvLength : integrityInfo(params.integrity)->icvLength),
      blockLength_(aead_ ? 4 : kAesBlock),
      keys_(std::move(keys)),
      window_(params.direction == SaDirection::Inbound ? params.replayWindow : 0),
      soft_(params.soft),
      hard_(params.hard),
      addTime_(now) {}

EspSa::~EspSa() = default;

std::size_t EspSa::encapsulatedLength(std::size_t payloadLength) const noexcept {
  // RFC 4303 §2.4: payload | padding | pad length | next header, aligned to the block size
  // (at least 4 octets so that the ICV is 32-bit aligned).
  const std::size_t encrypted = (payloadLength + 2 + blockLength_ - 1) / blockLength_ * blockLength_;
  return headerLength() + encrypted + icvLength_;
}

EncapsulateResult EspSa::encapsulate(std::span<const std::uint8_t> payload, std::uint8_t nextHeader,
                                     std::span<std::uint8_t> out) noexcept {
  std::array<std::uint8_t, kAesBlock> iv{};
  if (aead_) {
    // RFC 4106 §3.1: the IV must not repeat under one key; the sequence number never does.
    const std::uint64_t sequence = nextSequence_;
    for (std::size_t i = 0; i < kGcmIvLength; ++i)
      iv[i] = static_cast<std::uint8_t>(sequence >> (8 * (kGcmIvLength - 1 - i)));
  } else {
    // RFC 3602 §2.1: the CBC IV must be unpredictable.
    if (PK11_GenerateRandom(iv.data(), static_cast<int>(kAesBlock)) != SECSuccess)
      return {EspStatus::CryptoFailed, 0, LifetimeCrossing::None};
  }
  return seal(iv.data(), payload, nextHeader, out);
}

EncapsulateResult EspSa::encapsulateWithIv(std::span<const std::uint8_t> iv,
                                           std::span<const std::uint8_t> payload, std::uint8_t nextHeader,
                                           std::span<std::uint8_t> out) noexcept {
  if (iv.size() != ivLength_) return {EspStatus::CryptoFailed, 0, LifetimeCrossing::None};
  return seal(iv.data(), payload, nextHeader, out);
}

EncapsulateResult EspSa::seal(const std::uint8_t* iv, std::span<const std::uint8_t> payload,
                              std::uint8_t nextHeader, std::span<std::uint8_t> out) noexcept {
  if (hardReached_.load(std::memory_order_relaxed)) return {EspStatus::Expired, 0, LifetimeCrossing::None};
  const std::size_t total = encapsulatedLength(payload.size());
  if (out.size() < total || payload.size() > 0xffff)
    return {EspStatus::BufferTooSmall, 0, LifetimeCrossing::None};
  // RFC 4303 §3.3.3: the counter must not cycle; without ESN it ends at 2^32 - 1.
  const std::uint64_t sequence = nextSequence_;
  if (sequence == 0 || (!esn_ && sequence > 0xffffffffu)) {
    const bool first = !hardReached_.exchange(true);
    return {EspStatus::SequenceExhausted, 0, first ? LifetimeCrossing::Hard : LifetimeCrossing::None};
  }
  ++nextSequence_;

  std::uint8_t* packet = out.data();
  storeBe32(packet, ref_.spi);
  storeBe32(packet + 4, static_cast<std::uint32_t>(sequence));
  std::memcpy(packet + kSpiAndSequenceLength, iv, ivLength_);
  std::uint8_t* plaintext = packet + headerLength();
  if (!payload.empty() && payload.data() != plaintext)
    std::memmove(plaintext, payload.data(), payload.size());
  const std::size_t encryptedLength = total - headerLength() - icvLength_;
  const std::size_t padLength = encryptedLength - payload.size() - 2;
  // RFC 4303 §2.4: the default padding is the series 1, 2, 3, ...
  for (std::size_t i = 0; i < padLength; ++i)
    plaintext[payload.size() + i] = static_cast<std::uint8_t>(i + 1);
  plaintext[encryptedLength - 2] = static_cast<std::uint8_t>(padLength);
  plaintext[encryptedLength - 1] = nextHeader;
  std::uint8_t* icv = plaintext + encryptedLength;
  const auto sequenceHigh = static_cast<std::uint32_t>(sequence >> 32);

  if (aead_) {
    std::array<std::uint8_t, kGcmSaltLength + kGcmIvLength> nonce;
    std::memcpy(nonce.data(), keys_->salt.data(), kGcmSaltLength);
    std::memcpy(nonce.data() + kGcmSaltLength, iv, kGcmIvLength);
    // RFC 4106 §5: AAD is SPI | 32-bit sequence, or SPI | 64-bit ESN (high half first).
    std::array<std::uint8_t, 12> aad;
    storeBe32(aad.data(), ref_.spi);
    std::size_t aadLength = 8;
    if (esn_) {
      storeBe32(aad.data() + 4, sequenceHigh);
      storeBe32(aad.data() + 8, static_cast<std::uint32_t>(sequence));
      aadLength = 12;
    } else {
      storeBe32(aad.data() + 4, static_cast<std::uint32_t>(sequence));
    }
    int written = 0;
    std::lock_guard lock(gcmLock_);
    if (!keys_->gcm && !keys_->makeGcmContext()) return {EspStatus::CryptoFailed, 0, LifetimeCrossing::None};
    if (PK11_AEADOp(keys_->gcm.get(), CKG_NO_GENERATE, 0, nonce.data(), static_cast<int>(nonce.size()),
                    aad.data(), static_cast<int>(aadLength), plaintext, &written,
                    static_cast<int>(encryptedLength), icv, static_cast<int>(icvLength_), plaintext,
                    static_cast<int>(encryptedLength)) != SECSuccess ||
        static_cast<std::size_t>(written) != encryptedLength)
      return {EspStatus::CryptoFailed, 0, LifetimeCrossing::None};
  } else {
    SECItem ivItem{siBuffer, const_cast<std::uint8_t*>(iv), static_cast<unsigned>(ivLength_)};
    unsigned written = 0;
    if (PK11_Encrypt(keys_->cipherKey.get(), CKM_AES_CBC, &ivItem, plaintext, &written,
                     static_cast<unsigned>(encryptedLength), plaintext,
                     static_cast<unsigned>(encryptedLength)) != SECSuccess ||
        written != encryptedLength)
      return {EspStatus::CryptoFailed, 0, LifetimeCrossing::None};
    if (!computeIcv({packet, headerLength() + encryptedLength}, sequenceHigh, icv))
      return {EspStatus::CryptoFailed, 0, LifetimeCrossing::None};
  }
  return {EspStatus::Ok, total, account(payload.size())};
}

bool EspSa::computeIcv(std::span<const std::uint8_t> covered, std::uint32_t sequenceHigh,
                       std::uint8_t* icv) noexcept {
  // RFC 4303 §2.2.1 and §3.3.2.1: the ICV covers SPI through next header; with ESN the high
  // half of the sequence number is appended to that input, but never sent.
  std::array<std::uint8_t, 64> full;
  unsigned length = 0;
  if (PK11_DigestBegin(keys_->hmac.get()) != SECSuccess) return false;
  if (PK11_DigestOp(keys_->hmac.get(), covered.data(), static_cast<unsigned>(covered.size())) != SECSuccess)
    return false;
  if (esn_) {
    std::array<std::uint8_t, 4> high;
    storeBe32(high.data(), sequenceHigh);
    if (PK11_DigestOp(keys_->hmac.get(), high.data(), 4) != SECSuccess) return false;
  }
  if (PK11_DigestFinal(keys_->hmac.get(), full.data(), &length, static_cast<unsigned>(full.size())) !=
          SECSuccess ||
      length != keys_->hmacOutputLength)
    return false;
  std::memcpy(icv, full.data(), icvLength_);  // RFC 4868 §2.3: truncated to half
  return true;
}

std::uint64_t EspSa::inferSequence(std::uint32_t low) const noexcept {
  // RFC 4303 Appendix A2.2, with W the window size and T the highest accepted number.
  const std::uint64_t top = window_.top();
  const auto topLow = static_cast<std::uint32_t>(top);
  const auto topHigh = static_cast<std::uint32_t>(top >> 32);
  const std::uint32_t size = std::max<std::uint32_t>(window_.size(), 1);
  std::uint32_t high;
  if (topLow >= size - 1) {
    high = low >= topLow - size + 1 ? topHigh : topHigh + 1;
  } else {
    // The window spans a wrap of the low half: numbers near 2^32 belong to the previous high.
    high = (low >= topLow - size + 1 && topHigh > 0) ? topHigh - 1 : topHigh;
  }
  return (std::uint64_t{high} << 32) | low;
}

DecapsulateResult EspSa::decapsulate(std::span<std::uint8_t> packet) noexcept {
  DecapsulateResult result;
  const std::size_t overhead = headerLength() + icvLength_;
  if (packet.size() < overhead + 2 || (packet.size() - overhead) % blockLength_ != 0 ||
      packet.size() - overhead > 0xffff + kAesBlock) {
    result.status = EspStatus::TooShort;
    return result;
  }
  if (hardReached_.load(std::memory_order_relaxed)) {
    result.status = EspStatus::Expired;
    return result;
  }
  std::uint8_t* data = packet.data();
  const std::uint32_t low = loadBe32(data + 4);
  const std::uint64_t sequence = esn_ ? inferSequence(low) : low;
  result.sequence = sequence;
  // RFC 4303 §3.4.3: the cheap replay check comes before the ICV.
  if (!window_.check(sequence)) {
    replayErrors_.fetch_add(1, std::memory_order_relaxed);
    result.status = EspStatus::Replayed;
    return result;
  }
  const std::size_t encryptedLength = packet.size() - overhead;
  std::uint8_t* ciphertext = data + headerLength();
  std::uint8_t* icv = ciphertext + encryptedLength;
  const auto sequenceHigh = static_cast<std::uint32_t>(sequence >> 32);

  if (aead_) {
    std::array<std::uint8_t, kGcmSaltLength + kGcmIvLength> nonce;
    std::memcpy(nonce.data(), keys_->salt.data(), kGcmSaltLength);
    std::memcpy(nonce.data() + kGcmSaltLength, data + kSpiAndSequenceLength, kGcmIvLength);
    std::array<std::uint8_t, 12> aad;
    std::memcpy(aad.data(), data, 4);
    std::size_t aadLength = 8;
    if (esn_) {
      storeBe32(aad.data() + 4, sequenceHigh);
      std::memcpy(aad.data() + 8, data + 4, 4);
      aadLength = 12;
    } else {
      std::memcpy(aad.data() + 4, data + 4, 4);
    }
    int written = 0;
    std::unique_lock lock(gcmLock_);
    if (!keys_->gcm && !keys_->makeGcmContext()) {
      result.status = EspStatus::CryptoFailed;
      return result;
    }
    if (PK11_AEADOp(keys_->gcm.get(), CKG_NO_GENERATE, 0, nonce.data(), static_cast<int>(nonce.size()),
                    aad.data(), static_cast<int>(aadLength), ciphertext, &written,
                    static_cast<int>(encryptedLength), icv, static_cast<int>(icvLength_), ciphertext,
                    static_cast<int>(encryptedLength)) != SECSuccess ||
        static_cast<std::size_t>(written) != encryptedLength) {
      integrityErrors_.fetch_add(1, std::memory_order_relaxed);
      result.status = EspStatus::IntegrityFailed;
      return result;
    }
  } else {
    std::array<std::uint8_t, kMaxIcvLength> expected;
    if (!computeIcv({data, headerLength() + encryptedLength}, sequenceHigh, expected.data())) {
      result.status = EspStatus::CryptoFailed;
      return result;
    }
    if (NSS_SecureMemcmp(expected.data(), icv, icvLength_) != 0) {
      integrityErrors_.fetch_add(1, std::memory_order_relaxed);
      result.status = EspStatus::IntegrityFailed;
      return result;
    }
    SECItem ivItem{siBuffer, data + kSpiAndSequenceLength, static_cast<unsigned>(ivLength_)};
    unsigned written = 0;
    if (PK11_Decrypt(keys_->cipherKey.get(), CKM_AES_CBC, &ivItem, ciphertext, &written,
                     static_cast<unsigned>(encryptedLength), ciphertext,
                     static_cast<unsigned>(encryptedLength)) != SECSuccess ||
        written != encryptedLength) {
      result.status = EspStatus::CryptoFailed;
      return result;
    }
  }
  // The packet is authentic: the window moves even if its content is refused below.
  window_.accept(sequence);

  const std::uint8_t nextHeader = ciphertext[encryptedLength - 1];
  const std::size_t padLength = ciphertext[encryptedLength - 2];
  result.nextHeader = nextHeader;
  if (padLength + 2 > encryptedLength) {
    result.status = EspStatus::BadPadding;
    return result;
  }
  const std::size_t payloadLength = encryptedLength - 2 - padLength;
  for (std::size_t i = 0; i < padLength; ++i) {
    if (ciphertext[payloadLength + i] != static_cast<std::uint8_t>(i + 1)) {
      result.status = EspStatus::BadPadding;
      return result;
    }
  }
  if (nextHeader == kNextHeaderNone) {
    result.status = EspStatus::DummyPacket;
    return result;
  }
  if (mode_ == IpsecMode::Tunnel) {
    // RFC 4303 §2.6: tunnel mode carries a whole IP packet; its version must match.
    const unsigned version = payloadLength > 0 ? ciphertext[0] >> 4 : 0;
    if (!((nextHeader == kNextHeaderIpv4 && version == 4) ||
          (nextHeader == kNextHeaderIpv6 && version == 6))) {
      result.status = EspStatus::BadNextHeader;
      return result;
    }
  }
  result.payloadOffset = headerLength();
  result.payloadLength = payloadLength;
  result.crossed = account(payloadLength);
  return result;
}

LifetimeCrossing EspSa::account(std::size_t payloadLength) noexcept {
  // One thread at a time comes here per SA (see the class comment): no read-modify-write needed.
  const std::uint64_t bytes = bytes_.load(std::memory_order_relaxed) + payloadLength;
  const std::uint64_t packets = packets_.load(std::memory_order_relaxed) + 1;
  bytes_.store(bytes, std::memory_order_relaxed);
  packets_.store(packets, std::memory_order_relaxed);
  // Never before the SA was added, which the coarse clock, a tick behind, could say.
  lastUseTicks_.store(std::max(coarseTicksNow(), ticksOf(addTime_)), std::memory_order_relaxed);
  auto reached = [&](const SaLifetime& limit) {
    return (limit.bytes != 0 && bytes >= limit.bytes) || (limit.packets != 0 && packets >= limit.packets);
  };
  if (reached(hard_) && !hardReached_.exchange(true)) return LifetimeCrossing::Hard;
  if (reached(soft_) && !softReached_.exchange(true)) return LifetimeCrossing::Soft;
  return LifetimeCrossing::None;
}

bool EspSa::releaseIdleContext(std::chrono::system_clock::time_point now,
                               std::chrono::system_clock::duration idleFor) noexcept {
  if (!aead_) return false;
  const std::int64_t lastUse = lastUseTicks_.load(std::memory_order_relaxed);
  const auto since = lastUse != 0
                         ? std::chrono::system_clock::time_point(std::chrono::system_clock::duration(lastUse))
                         : addTime_;
  if (now - since < idleFor) return false;
  // A packet thread holding the lock is using the SA: it is not idle.
  std::unique_lock lock(gcmLock_, std::try_to_lock);
  if (!lock.owns_lock() || !keys_->gcm) return false;
  keys_->gcm.reset();
  keys_->cipherKey.reset();
  return true;
}

bool EspSa::holdsContext() const noexcept {
  std::lock_guard lock(gcmLock_);
  return !aead_ || keys_->gcm != nullptr;
}

LifetimeCrossing EspSa::checkTime(std::chrono::system_clock::time_point now) noexcept {
  const auto age = now - addTime_;
  if (hard_.time.count() != 0 && age >= hard_.time && !hardReached_.exchange(true))
    return LifetimeCrossing::Hard;
  if (soft_.time.count() != 0 && age >= soft_.time && !softReached_.exchange(true))
    return LifetimeCrossing::Soft;
  return LifetimeCrossing::None;
}

SaCounters EspSa::counters() const {
  SaCounters counters;
  counters.bytes = bytes_.load(std::memory_order_relaxed);
  counters.packets = packets_.load(std::memory_order_relaxed);
  counters.addTime = addTime_;
  if (const auto ticks = lastUseTicks_.load(std::memory_order_relaxed); ticks != 0)
    counters.lastUse = std::chrono::system_clock::time_point(std::chrono::system_clock::duration(ticks));
  counters.replayErrors = replayErrors_.load(std::memory_order_relaxed);
  counters.integrityErrors = integrityErrors_.load(std::memory_order_relaxed);
  return counters;
}

}  // namespace ikemesh::tun
