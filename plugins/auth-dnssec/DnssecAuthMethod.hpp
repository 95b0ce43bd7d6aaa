// SPDX-License-Identifier: GPL-2.0-or-later
// Raw public keys from DNSSEC-validated IPSECKEY records (RFC 4025; Libreswan's
// rightrsasigkey=%dnsondemand): the peer's key is published for its reverse name (an address
// ID) or its FQDN (an FQDN ID); ours is the node's host key in the NSS database, whose record
// `ikemesh showhostkey --ipseckey` prints.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <ikemesh/auth.hpp>
#include <ikemesh/host.hpp>

#include "IpsecKeyCache.hpp"
#include "NssDatabase.hpp"
#include "PublicKeyRecord.hpp"

namespace ikemesh::authdnssec {

/// Where lookups go and what they trust, from `config setup`.
struct LookupSettings {
  bool enabled = true;        ///< dnssec-enable=
  std::string anchorsSource;  ///< dnssec-anchors= (the file), for messages
  std::shared_ptr<const ldns_rr_list> anchors;
  IpAddress resolver;  ///< dnssec-resolver=
  std::uint16_t port = 53;
  std::chrono::milliseconds timeout{3000};
};

/// The settings `config setup` gives now (dnssec-enable=, dnssec-anchors=, dnssec-resolver=,
/// dnssec-resolver-port=), or why they cannot work (the anchor file's file:line). Read at
/// every exchange, so that a reload applies: plugins are made before the config is read.
Result<std::shared_ptr<const LookupSettings>> lookupSettingsFrom(const Host& host);

/// The validating lookup a worker runs: IPSECKEY `name` through the configured resolver.
Validation lookupIpsecKey(const LookupSettings& settings, const std::string& name);

/// The owner name the peer's key is published under, from its ID and address; an error when
/// the ID cannot be looked up or does not match the address it comes from.
Result<std::string> publishedName(const Identity& id, const IpAddress& peerAddress);

class DnssecAuthMethod final : public AuthMethod, public PeerLookahead {
 public:
  DnssecAuthMethod(Host& host, std::shared_ptr<authx509::NssDatabase> database);

  /// leftid= (@fqdn or an address), else the address the IKE SA uses (an empty address ID,
  /// auth.hpp); an error when the NSS database holds no host key.
  Result<LocalCredential> localCredential(const std::string& connection) override;
  /// Signs with the host key: RFC 7427 (RSA-PSS SHA2-256, or ECDSA with the curve's hash).
  void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) override;
  /// Looks up (or takes from the cache) the peer's IPSECKEY records, validated; refuses
  /// anything but a secure answer with the verdict first ("expired: ...", "bogus: ...",
  /// "unsigned: ..."), then tries each key on the AUTH payload.
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override;
  /// Starts the lookup of the peer's reverse name while IKE_SA_INIT runs.
  void exchangeStarting(const std::string& connection, const IpAddress& localAddress,
                        const IpAddress& peerAddress) override;

 private:
  /// Starts or joins the lookup of `name` with `settings`; `done` gets the answer.
  void fetch(const std::string& name, std::shared_ptr<const LookupSettings> settings,
             IpsecKeyCache::Callback done);

  Host& host_;
  std::shared_ptr<authx509::NssDatabase> database_;
  IpsecKeyCache cache_;
};

}  // namespace ikemesh::authdnssec
