// SPDX-License-Identifier: GPL-2.0-or-later
// authby=allowlist: NULL authentication (RFC 7619) that admits only listed peers. NULL
// authentication proves only that the peer holds the IKE SA's keys; the allowlist adds a
// decision on the peer's address, which is the one thing an opportunistic node knows of it.
#pragma once

#include <ikemesh/auth.hpp>
#include <ikemesh/host.hpp>

namespace allowlist {

/// The "auth.allowlist" provider. All members run on the main thread; the list is read on a
/// worker (Host::submitWork) and the verdict handed back with Host::postToMain, as the SDK's
/// threading rules ask of anything that touches the disk.
class AllowlistAuthMethod final : public ikemesh::AuthMethod {
 public:
  explicit AllowlistAuthMethod(ikemesh::Host& host) : host_(host) {}

  /// ID_NULL, no certificates; refuses a conn without allowlist-file=.
  ikemesh::Result<ikemesh::LocalCredential> localCredential(const std::string& connection) override;
  /// AUTH method NULL (13): prf(prf(SK_p, "Key Pad for IKEv2"), signed octets), RFC 7619 §3.
  void sign(const ikemesh::AuthExchange& exchange,
            std::function<void(ikemesh::Result<ikemesh::AuthPayload>)> done) override;
  /// The NULL AUTH must match, then the peer's address must be in the conn's allowlist-file.
  void verify(const ikemesh::AuthExchange& exchange, const ikemesh::PeerClaim& claim,
              std::function<void(ikemesh::Result<ikemesh::VerifiedPeer>)> done) override;

 private:
  ikemesh::Host& host_;
};

}  // namespace allowlist
