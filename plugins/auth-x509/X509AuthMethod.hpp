// SPDX-License-Identifier: GPL-2.0-or-later
// Certificate authentication (RFC 7296 §2.15, §3.6-3.8, RFC 7427): our certificate and key from
// the NSS database by nickname (leftcert=), the peer's chain validated by NSS against the CAs
// the database trusts (validity, key usage, CRLs in the database), its ID checked against the
// certificate and rightid=, its AUTH signature checked with the certificate's key.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/host.hpp>

#include "NssDatabase.hpp"
#include "SigningKey.hpp"
#include "VerifiedChainCache.hpp"

namespace ikemesh::authx509 {

/// One provider ("auth.rsasig" or "auth.ecdsa"); both sign with whatever key the certificate
/// holds and accept every signature its key can make, so that a mesh can mix key types.
///
/// A peer's chain, once validated, is not validated again for the database re-read interval
/// (VerifiedChainCache); the ID checks and the AUTH signature are made on every exchange.
///
/// Threading: members run on the main thread; sign() and verify() do the public-key work on
/// Host::submitWork() and complete on the main thread through Host::postToMain(). The
/// NssDatabase is shared with the jobs in flight, so it outlives a plugin destroyed mid-job.
class X509AuthMethod final : public AuthMethod {
 public:
  X509AuthMethod(Host& host, std::shared_ptr<NssDatabase> database, std::string provider);

  /// Our ID (leftid=, default the certificate's subject as ID_DER_ASN1_DN) and CERT payloads:
  /// the certificate named by leftcert=, then the intermediates the database holds.
  Result<LocalCredential> localCredential(const std::string& connection) override;
  /// One CERTREQ (X.509 signature) with the SHA-1 hashes of the trusted CAs' public keys
  /// (RFC 7296 §3.7); none when the database trusts no CA.
  std::vector<Certificate> certificateRequests(const std::string& connection) override;
  void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) override;
  /// Errors start with the reason: "unknown CA", "expired", "revoked", "key usage",
  /// "ID mismatch", "bad signature", "no certificate".
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override;

 private:
  /// Our certificate, its key and the intermediates above it, as read from the database.
  struct OurCredential {
    UniqueCertificate certificate;
    /// Shared with the sign() jobs in flight: a re-read replaces it while they sign.
    std::shared_ptr<const SigningKey> key;
    std::vector<std::vector<std::uint8_t>> intermediates;
    std::chrono::steady_clock::time_point readAt;
  };
  /// The credential of leftcert= of `connection`, read again once older than the re-read
  /// interval: every lookup is SQLite queries under NSS's locks, which were most of a certificate
  /// handshake's responder CPU when made per handshake (bench/ike_load.sh).
  Result<const OurCredential*> ourCredential(const std::string& connection);

  Host& host_;
  std::shared_ptr<NssDatabase> database_;
  std::string provider_;
  std::map<std::string, OurCredential> credentials_;  ///< by nickname
  std::vector<std::uint8_t> authorityHashes_;
  std::chrono::steady_clock::time_point authorityHashesReadAt_;
  /// Shared with the verify() jobs in flight.
  std::shared_ptr<VerifiedChainCache> chains_;
};

/// The verification itself, synchronous (what verify() runs on a worker): exposed for tests.
/// With `chains`, a chain validated there recently is not validated again, and a chain that
/// validates (and whose key verified the AUTH signature) is added to it.
Result<VerifiedPeer> verifyPeer(const PeerClaim& claim, std::span<const std::uint8_t> signedOctets,
                                const std::optional<std::string>& rightid,
                                VerifiedChainCache* chains = nullptr);

}  // namespace ikemesh::authx509
