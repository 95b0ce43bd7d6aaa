// SPDX-License-Identifier: GPL-2.0-or-later
#include "NullAuthMethod.hpp"

#include <string.h>  // explicit_bzero (glibc)

#include <string_view>

namespace ikemesh::authnull {

namespace {

/// RFC 7296 §2.15: the pad that turns a shared secret into the MIC key.
constexpr std::string_view kKeyPad = "Key Pad for IKEv2";

/// Comparison whose time does not depend on where the inputs differ.
bool constantTimeEqual(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return false;
  std::uint8_t difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return difference == 0;
}

}  // namespace

Result<LocalCredential> NullAuthMethod::localCredential(const std::string& connection) {
  (void)connection;
  return LocalCredential{Identity{IdType::Null, {}}, {}};
}

std::vector<std::uint8_t> NullAuthMethod::authData(const AuthExchange& exchange) {
  if (!exchange.prf || exchange.skP.empty()) return {};
  // RFC 7619 §3: computed as for a pre-shared key (RFC 7296 §2.15), with SK_pi (initiator) or
  // SK_pr (responder) as the shared secret:
  //   AUTH = prf( prf(SK_p, "Key Pad for IKEv2"), <SignedOctets> )
  const std::vector<std::uint8_t> pad(kKeyPad.begin(), kKeyPad.end());
  auto key = exchange.prf(exchange.skP, pad);
  if (key.empty()) return {};
  auto mic = exchange.prf(key, exchange.signedOctets);
  // The MIC key is as secret as SK_p: not left behind in freed memory (docs/security.md).
  explicit_bzero(key.data(), key.size());
  return mic;
}

void NullAuthMethod::sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) {
  auto data = authData(exchange);
  if (data.empty()) {
    done(fail("NULL authentication: no PRF or SK_p to compute the AUTH data with"));
    return;
  }
  done(AuthPayload{AuthMethodId::Null, std::move(data)});
}

void NullAuthMethod::verify(const AuthExchange& exchange, const PeerClaim& claim,
                            std::function<void(Result<VerifiedPeer>)> done) {
  if (claim.auth.method != AuthMethodId::Null) {
    done(fail("AUTH method " + std::to_string(static_cast<int>(claim.auth.method)) +
              " where NULL authentication (13, RFC 7619) is configured"));
    return;
  }
  if (claim.id.type == IdType::Null && !claim.id.data.empty()) {
    done(fail("ID_NULL carries " + std::to_string(claim.id.data.size()) +
              " octets of identification data; RFC 7619 §2.2 wants none"));
    return;
  }
  const auto expected = authData(exchange);
  if (expected.empty() || !constantTimeEqual(expected, claim.auth.data)) {
    done(fail("NULL AUTH data does not match the IKE SA's keys (RFC 7619 §3)"));
    return;
  }
  done(VerifiedPeer{claim.id.type == IdType::Null ? "ID_NULL" : "(NULL auth, unverified identity)"});
}

}  // namespace ikemesh::authnull
