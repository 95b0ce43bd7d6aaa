// SPDX-License-Identifier: GPL-2.0-or-later
#include "AllowlistAuthMethod.hpp"

#include "Allowlist.hpp"

namespace allowlist {

namespace {

/// RFC 7619 §3 computes the NULL AUTH as RFC 7296 §2.15 computes a shared-key MIC, with the
/// side's SK_p as the secret. Empty when the exchange has no PRF or key.
std::vector<std::uint8_t> nullMic(const ikemesh::AuthExchange& exchange) {
  static constexpr char kPad[] = "Key Pad for IKEv2";
  if (!exchange.prf || exchange.skP.empty()) return {};
  const std::vector<std::uint8_t> pad(kPad, kPad + sizeof kPad - 1);
  const auto micKey = exchange.prf(exchange.skP, pad);
  return micKey.empty() ? micKey : exchange.prf(micKey, exchange.signedOctets);
}

/// Compares in a time that does not depend on where the two differ.
bool sameBytes(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  unsigned difference = a.size() ^ b.size();
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) difference |= a[i] ^ b[i];
  return difference == 0;
}

}  // namespace

ikemesh::Result<ikemesh::LocalCredential> AllowlistAuthMethod::localCredential(
    const std::string& connection) {
  if (!host_.configValue(connection, "allowlist-file"))
    return ikemesh::fail("conn '" + connection + "': authby=allowlist needs allowlist-file=");
  return ikemesh::LocalCredential{ikemesh::Identity{ikemesh::IdType::Null, {}}, {}};
}

void AllowlistAuthMethod::sign(const ikemesh::AuthExchange& exchange,
                               std::function<void(ikemesh::Result<ikemesh::AuthPayload>)> done) {
  auto mic = nullMic(exchange);
  if (mic.empty()) return done(ikemesh::fail("no PRF or SK_p to compute the NULL AUTH with"));
  done(ikemesh::AuthPayload{ikemesh::AuthMethodId::Null, std::move(mic)});
}

void AllowlistAuthMethod::verify(const ikemesh::AuthExchange& exchange, const ikemesh::PeerClaim& claim,
                                 std::function<void(ikemesh::Result<ikemesh::VerifiedPeer>)> done) {
  if (claim.auth.method != ikemesh::AuthMethodId::Null)
    return done(ikemesh::fail("AUTH method " + std::to_string(static_cast<int>(claim.auth.method)) +
                              " where authby=allowlist expects NULL (13)"));
  const auto expected = nullMic(exchange);
  if (expected.empty() || !sameBytes(expected, claim.auth.data))
    return done(ikemesh::fail("NULL AUTH data does not match the IKE SA's keys (RFC 7619 §3)"));

  auto path = host_.configValue(exchange.connection, "allowlist-file");
  if (!path) return done(ikemesh::fail("conn '" + exchange.connection + "' has no allowlist-file="));
  host_.submitWork([this, path = *path, peer = exchange.peerAddress, done = std::move(done)]() mutable {
    auto list = Allowlist::read(path);
    ikemesh::Result<ikemesh::VerifiedPeer> verdict = ikemesh::fail("");
    if (!list)
      verdict = ikemesh::fail("allowlist-file=" + list.error().message);
    else if (!list->admits(peer))
      verdict = ikemesh::fail("peer " + peer.toString() + " is not in " + path + " (" +
                              std::to_string(list->size()) + " entries)");
    else
      verdict = ikemesh::VerifiedPeer{"ID_NULL (allowlisted " + peer.toString() + ")"};
    host_.postToMain(
        [verdict = std::move(verdict), done = std::move(done)]() mutable { done(std::move(verdict)); });
  });
}

}  // namespace allowlist
