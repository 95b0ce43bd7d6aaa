// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/result.hpp>

#include "ReplayWindow.hpp"
#include "util/NssHandles.hpp"

namespace ikemesh::tun {

/// Why a packet was not (de)capsulated. Values, not strings: a flood of forged packets must
/// cost no allocation (DESIGN.md §7, the fast path).
enum class EspStatus : std::uint8_t {
  Ok,
  TooShort,           ///< shorter than header + IV + ICV, or not a whole number of blocks
  BufferTooSmall,     ///< the caller's output buffer cannot hold the result
  Replayed,           ///< RFC 4303 §3.4.3: duplicate, or left of the window
  IntegrityFailed,    ///< RFC 4303 §3.4.4: the ICV does not verify
  BadPadding,         ///< RFC 4303 §2.4: padding is not 1, 2, 3, ... or longer than the payload
  BadNextHeader,      ///< tunnel mode needs 4 or 41 with a matching IP version (RFC 4303 §2.6)
  DummyPacket,        ///< next header 59: discard silently (RFC 4303 §2.6)
  SequenceExhausted,  ///< RFC 4303 §3.3.3: the counter must not cycle; rekey
  Expired,            ///< the hard lifetime was reached; the SA must no longer be used
  CryptoFailed,       ///< NSS refused (should not happen with a valid SA)
};

/// A short text for logs and tests.
const char* describe(EspStatus status) noexcept;

/// Which lifetime limit a packet (or the clock) has just crossed; reported once each.
enum class LifetimeCrossing : std::uint8_t { None, Soft, Hard };

struct EncapsulateResult {
  EspStatus status = EspStatus::Ok;
  std::size_t length = 0;  ///< octets of the ESP packet written to `out`
  LifetimeCrossing crossed = LifetimeCrossing::None;
};

struct DecapsulateResult {
  EspStatus status = EspStatus::Ok;
  std::size_t payloadOffset = 0;  ///< where the inner payload starts in the packet buffer
  std::size_t payloadLength = 0;
  std::uint8_t nextHeader = 0;
  std::uint64_t sequence = 0;  ///< with ESN, the full 64-bit value
  LifetimeCrossing crossed = LifetimeCrossing::None;
};

/// One ESP SA (RFC 4303), one direction: its keys in NSS (one AES-GCM message context, or an
/// AES-CBC key and an HMAC context, created once), its sequence counter or anti-replay
/// window, its counters and lifetimes. No I/O.
///
/// An AES-GCM SA idle for a while gives its NSS key object and context back
/// (releaseIdleContext()) and makes them again at its next packet: the softoken holds about
/// 8 KB per context (a key object of about 6 KB, its attribute slots, and the context), most of
/// an idle tunnel's memory, and making them again costs a few microseconds once.
///
/// An ESP packet here starts at the SPI: SPI | sequence | IV | ciphertext | ICV; the outer IP
/// and UDP headers are the caller's. AES-GCM-16 follows RFC 4106 (nonce = 4-octet salt from
/// the key's tail | 8-octet IV; AAD = SPI | sequence, with ESN SPI | high | low, §5); the IV of
/// an outbound packet is its 64-bit sequence number, unique per key as §3.1 requires. AES-CBC
/// follows RFC 3602 (random IV) with HMAC-SHA2 truncated as RFC 4868; with ESN the high half
/// is appended to the ICV input only (RFC 4303 §2.2.1).
///
/// Threading: encapsulate() (outbound SAs) and decapsulate() (inbound SAs) from one thread at
/// a time; counters() and checkTime() from any thread. Nothing allocates per packet.
class EspSa {
 public:
  static Result<std::unique_ptr<EspSa>> create(
      const SaParams& params, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  ~EspSa();
  EspSa(const EspSa&) = delete;
  EspSa& operator=(const EspSa&) = delete;

  static constexpr std::size_t kSpiAndSequenceLength = 8;

  const SaRef& ref() const noexcept { return ref_; }
  SaDirection direction() const noexcept { return direction_; }
  IpsecMode mode() const noexcept { return mode_; }
  std::size_t ivLength() const noexcept { return ivLength_; }
  std::size_t icvLength() const noexcept { return icvLength_; }
  /// SPI | sequence | IV: where the payload starts inside an ESP packet.
  std::size_t headerLength() const noexcept { return kSpiAndSequenceLength + ivLength_; }
  /// The ESP packet length for a payload of `payloadLength` octets, padding included.
  std::size_t encapsulatedLength(std::size_t payloadLength) const noexcept;
  /// The largest overhead this SA adds to a payload (header, padding, trailer, ICV).
  std::size_t maxOverhead() const noexcept { return headerLength() + blockLength_ - 1 + 2 + icvLength_; }

  /// Encrypts `payload` (tunnel mode: a whole IP packet with `nextHeader` 4 or 41; transport
  /// mode: the IP payload with `nextHeader` its protocol) into `out` with the next sequence
  /// number. `payload` may lie at `out.data() + headerLength()` (encryption in place).
  EncapsulateResult encapsulate(std::span<const std::uint8_t> payload, std::uint8_t nextHeader,
                                std::span<std::uint8_t> out) noexcept;
  /// As encapsulate() with the caller's IV (AES-GCM: 8 octets, AES-CBC: 16): for known-answer
  /// tests only. Reusing an IV under one AES-GCM key destroys its security.
  EncapsulateResult encapsulateWithIv(std::span<const std::uint8_t> iv, std::span<const std::uint8_t> payload,
                                      std::uint8_t nextHeader, std::span<std::uint8_t> out) noexcept;

  /// Checks the sequence number against the window, verifies the ICV, decrypts in place and
  /// checks padding and next header. On success the payload is
  /// packet[payloadOffset, payloadOffset + payloadLength).
  DecapsulateResult decapsulate(std::span<std::uint8_t> packet) noexcept;

  /// Bytes and packets protected or accepted, times, and the errors counted on this SA.
  SaCounters counters() const;
  /// Reports a time lifetime crossed at `now` (each once); called by a timer.
  LifetimeCrossing checkTime(std::chrono::system_clock::time_point now) noexcept;
  /// Frees the AES-GCM key object and context when no packet used the SA (or, unused, since it
  /// was added) for `idleFor` and no packet is being processed; true when it freed them. Any
  /// thread; the next packet makes them again.
  bool releaseIdleContext(std::chrono::system_clock::time_point now,
                          std::chrono::system_clock::duration idleFor) noexcept;
  /// Whether the SA holds its NSS context now (always for AES-CBC): for tests.
  bool holdsContext() const noexcept;

  /// Whether the hard lifetime (or the sequence space) is used up.
  bool expired() const noexcept { return hardReached_.load(std::memory_order_relaxed); }

  /// Makes the next outbound packet carry `sequence` (tests and benchmarks: the wrap of the
  /// 32-bit counter, ESN high halves).
  void skipToSequence(std::uint64_t sequence) noexcept { nextSequence_ = sequence; }

 private:
  struct Keys;
  EspSa(const SaParams& params, std::unique_ptr<Keys> keys, std::chrono::system_clock::time_point now);

  EncapsulateResult seal(const std::uint8_t* iv, std::span<const std::uint8_t> payload,
                         std::uint8_t nextHeader, std::span<std::uint8_t> out) noexcept;
  bool computeIcv(std::span<const std::uint8_t> covered, std::uint32_t sequenceHigh,
                  std::uint8_t* icv) noexcept;
  /// RFC 4303 Appendix A2.2: the high half of a received ESN from the window's position.
  std::uint64_t inferSequence(std::uint32_t low) const noexcept;
  LifetimeCrossing account(std::size_t payloadLength) noexcept;

  SaRef ref_;
  SaDirection direction_;
  IpsecMode mode_;
  bool esn_;
  bool aead_;
  std::size_t ivLength_;
  std::size_t icvLength_;
  std::size_t blockLength_;  // padding alignment: 4 for AES-GCM (RFC 4303 §2.4), 16 for CBC
  std::unique_ptr<Keys> keys_;
  /// Guards the AES-GCM context against releaseIdleContext() on another thread. The packet
  /// thread holds it for one AES-GCM operation and the idle sweep only takes it when free, so
  /// it is a flag rather than a mutex: unlocking is a plain store, where a mutex needs a second
  /// locked instruction per packet.
  class ContextLock {
   public:
    void lock() noexcept {
      while (held_.exchange(true, std::memory_order_acquire))
        while (held_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
    bool try_lock() noexcept {
      return !held_.load(std::memory_order_relaxed) && !held_.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept { held_.store(false, std::memory_order_release); }

   private:
    std::atomic<bool> held_{false};
  };
  mutable ContextLock gcmLock_;

  std::uint64_t nextSequence_ = 1;  // outbound
  ReplayWindow window_;             // inbound

  SaLifetime soft_;
  SaLifetime hard_;
  std::chrono::system_clock::time_point addTime_;
  // Written by the one thread at a time that processes packets (a load and a store, no locked
  // instruction per packet); read from any thread.
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> packets_{0};
  std::atomic<std::int64_t> lastUseTicks_{0};  // system_clock ticks; 0 = never used
  std::atomic<std::uint64_t> replayErrors_{0};
  std::atomic<std::uint64_t> integrityErrors_{0};
  std::atomic<bool> softReached_{false};
  std::atomic<bool> hardReached_{false};
};

}  // namespace ikemesh::tun
