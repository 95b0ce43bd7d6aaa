// SPDX-License-Identifier: GPL-2.0-or-later
// The interface of an authentication plugin (DESIGN.md §3): it produces our AUTH payload and
// verifies the peer's. It holds no IKE state: the core builds the octets to sign
// (RFC 7296 §2.15) and hands them over with everything else the method needs.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh {

/// ID payload types, RFC 7296 §3.5 and RFC 7619 §3 (ID_NULL).
enum class IdType : std::uint8_t {
  Ipv4Address = 1,
  Fqdn = 2,
  Rfc822Address = 3,
  Ipv6Address = 5,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
  Null = 13,
};

/// An IKE identity as carried in IDi/IDr: its type and its octets.
struct Identity {
  IdType type = IdType::Null;
  std::vector<std::uint8_t> data;
  friend bool operator==(const Identity&, const Identity&) = default;
};

/// AUTH payload methods, RFC 7296 §3.8, RFC 4754, RFC 7619 and RFC 7427.
enum class AuthMethodId : std::uint8_t {
  RsaSignature = 1,
  SharedKeyMic = 2,
  EcdsaP256Sha256 = 9,
  EcdsaP384Sha384 = 10,
  EcdsaP521Sha512 = 11,
  Null = 13,
  DigitalSignature = 14,
};

/// A CERT payload, RFC 7296 §3.6: the encoding (4 = X.509 signature, 15 = raw public key,
/// RFC 7670) and the data.
struct Certificate {
  std::uint8_t encoding = 0;
  std::vector<std::uint8_t> data;
};

/// The negotiated pseudo-random function, RFC 7296 §2.13. Thread-safe; may be called from a
/// worker thread.
using PrfFunction = std::function<std::vector<std::uint8_t>(std::span<const std::uint8_t> key,
                                                            std::span<const std::uint8_t> data)>;

/// What every authentication step knows about the exchange. Valid for the duration of the
/// call it is passed to; copy what must outlive it.
struct AuthExchange {
  std::string connection;  ///< the connection template's name
  IpAddress localAddress;
  IpAddress peerAddress;
  bool initiator = false;  ///< whether we initiated this IKE SA
  PrfFunction prf;
  /// SK_pi or SK_pr of the side being authenticated (ours in sign(), the peer's in verify());
  /// the key of the shared-key and NULL MICs.
  std::vector<std::uint8_t> skP;
  /// The octets that AUTH covers: the side's first message, the other side's nonce and
  /// prf(SK_p, ID'), exactly as RFC 7296 §2.15 defines them.
  std::vector<std::uint8_t> signedOctets;
};

/// Our side of IKE_AUTH: which identity we claim and which certificates we send.
struct LocalCredential {
  /// An ID_IPV4_ADDR or ID_IPV6_ADDR with no data stands for "the address this IKE SA uses
  /// locally" (SDK 1.1): the engine puts that address in, of its family. A method that proves
  /// the node's address (raw keys published for the reverse name) needs it, and only the
  /// engine knows which of the node's addresses an exchange uses.
  Identity id;
  std::vector<Certificate> certificates;
};

/// The AUTH payload we send.
struct AuthPayload {
  AuthMethodId method = AuthMethodId::Null;
  std::vector<std::uint8_t> data;
};

/// What the peer sent in IKE_AUTH.
struct PeerClaim {
  Identity id;
  std::vector<Certificate> certificates;
  AuthPayload auth;
};

/// The outcome of a successful verification.
struct VerifiedPeer {
  /// The identity as status lines show it: `ID_NULL`, `CN=node1.example.com, O=...`,
  /// `@node1.example.com`.
  std::string displayId;
};

/// One authentication method (a provider such as `auth.null` or `auth.rsasig`).
///
/// Threading: all members are called on the main thread. sign() and verify() complete
/// through their callback, exactly once, on the main thread; a method that needs slow work
/// (signatures, DNS) does it on Host::submitWork() and hands the result back with
/// Host::postToMain(). Never block the event loop.
class AuthMethod {
 public:
  virtual ~AuthMethod() = default;

  /// The identity and certificates we present on `connection`; an error when the
  /// connection's configuration cannot work with this method (named key and value).
  virtual Result<LocalCredential> localCredential(const std::string& connection) = 0;

  /// The CERTREQ payload contents we send to the peer (empty: none).
  virtual std::vector<Certificate> certificateRequests(const std::string& connection) {
    (void)connection;
    return {};
  }

  /// Computes our AUTH payload over `exchange.signedOctets`.
  virtual void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) = 0;

  /// Checks the peer's claim; the error names the reason (wrong method, bad signature,
  /// untrusted certificate, ID mismatch...).
  virtual void verify(const AuthExchange& exchange, const PeerClaim& claim,
                      std::function<void(Result<VerifiedPeer>)> done) = 0;
};

/// Optional for a method whose verification needs slow work that depends only on the peer's
/// address (DNS lookups; SDK 1.1). A method implements it beside AuthMethod, and the engine
/// tells it when an exchange with a peer starts (IKE_SA_INIT sent or received), so that the
/// work runs in parallel with the key exchange instead of after IKE_AUTH arrives.
///
/// Threading: called on the main thread; must return at once and must not call back into the
/// engine.
class PeerLookahead {
 public:
  virtual ~PeerLookahead() = default;
  virtual void exchangeStarting(const std::string& connection, const IpAddress& localAddress,
                                const IpAddress& peerAddress) = 0;
};

}  // namespace ikemesh
