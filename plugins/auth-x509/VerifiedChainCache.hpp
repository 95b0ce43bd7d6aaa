// SPDX-License-Identifier: GPL-2.0-or-later
// Peer certificate chains that NSS validated a short while ago, so that a peer which comes back
// (a rekey, a reconnect, many tunnels from one host) costs one AUTH signature check instead of a
// path validation too. Validating a chain is database work: decoding the CERT payloads into
// temporary certificates, finding each issuer (SQLite queries under NSS's locks) and importing
// the peer's key into a token; bench/ike_load.sh measured that at about 40 % of a responder's
// CPU per ECDSA handshake. strongSwan keeps such results too (its certificate cache).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include <ikemesh/auth.hpp>

#include "PeerPublicKey.hpp"
#include "util/NssHandles.hpp"

namespace ikemesh::authx509 {

/// Thread-safe: verify() jobs on the worker threads look up and insert concurrently.
class VerifiedChainCache {
 public:
  using Clock = std::chrono::steady_clock;

  /// What a successful validation of one chain established.
  struct Chain {
    /// The peer's own certificate (a temporary NSS certificate): its ID checks run on it.
    UniqueCertificate leaf;
    /// Its public key, made once per chain: libcrypto's for ECDSA (PeerPublicKey), NSS's for
    /// RSA, which the first AUTH check imports into a token and later checks share.
    PeerPublicKey key;
    Clock::time_point validatedAt;
  };

  /// Chains are used for `lifetime` after their validation (what the database says about their
  /// CA, trust and CRLs may change meanwhile: that is the delay before a change applies); at
  /// most `capacity` are kept.
  VerifiedChainCache(Clock::duration lifetime, std::size_t capacity);

  /// The chain the CERT payloads `certificates` (as the peer sent them, byte for byte)
  /// validated to, when that was less than the lifetime before `now` and the leaf is still
  /// within its validity period; null otherwise.
  std::shared_ptr<const Chain> find(std::span<const Certificate> certificates, Clock::time_point now) const;

  /// Remembers that `certificates` validated to `chain`. When the cache is full, the chains
  /// expired at `chain->validatedAt` are dropped, then the oldest.
  void insert(std::span<const Certificate> certificates, std::shared_ptr<const Chain> chain);

  std::size_t size() const;

 private:
  /// SHA-256 over every payload's encoding, length and data.
  using Digest = std::array<std::uint8_t, 32>;
  static std::optional<Digest> digestOf(std::span<const Certificate> certificates);

  const Clock::duration lifetime_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<Digest, std::shared_ptr<const Chain>> chains_;
};

}  // namespace ikemesh::authx509
