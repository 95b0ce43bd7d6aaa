// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7619 NULL authentication: no credential at all; the AUTH payload only proves that the
// peer holds the IKE SA's keys (it is computed like a shared-key MIC with SK_pi / SK_pr as the
// shared secret), which binds the exchange without identifying anyone.
#pragma once

#include <ikemesh/auth.hpp>

namespace ikemesh::authnull {

/// The "auth.null" provider. Stateless; all members run on the main thread and complete
/// synchronously (the PRF over a few hundred octets is cheap).
class NullAuthMethod final : public AuthMethod {
 public:
  /// ID_NULL with empty data (RFC 7619 §2.2), and no certificates.
  Result<LocalCredential> localCredential(const std::string& connection) override;
  /// AUTH method NULL (13) with prf(prf(SK_p, "Key Pad for IKEv2"), signedOctets) (RFC 7619 §3,
  /// RFC 7296 §2.15).
  void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) override;
  /// Accepts the peer when its AUTH method is NULL and the AUTH data equals what it must be
  /// for the peer's SK_p; an ID_NULL identity must carry no data.
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override;

  /// The AUTH data for `exchange`, empty when the PRF failed.
  static std::vector<std::uint8_t> authData(const AuthExchange& exchange);
};

}  // namespace ikemesh::authnull
