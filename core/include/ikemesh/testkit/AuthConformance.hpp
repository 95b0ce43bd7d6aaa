// SPDX-License-Identifier: GPL-2.0-or-later
// Part of the SDK test kit (installed with the headers; standard library only).
//
// The in-process two-peer harness for authentication methods, and the conformance checks
// every AuthMethod must pass. The harness plays the core's part of IKE_AUTH (RFC 7296 §2.15):
// it asks one side for its credential and AUTH payload and hands the claim to the other side's
// verify(), with the same signed octets and the signer's SK_p, as two daemons would.
//
//   FakeHost host;
//   MyPlugin plugin(host);
//   AuthPeer initiator{plugin.authMethod("auth.my"), &host, "conn-a", *IpAddress::parse("192.0.2.1")};
//   AuthPeer responder{plugin.authMethod("auth.my"), &host, "conn-b", *IpAddress::parse("192.0.2.2")};
//   auto failures = checkAuthConformance(initiator, responder);
//   EXPECT_TRUE(failures.empty()) << joinFailures(failures);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/testkit/Failures.hpp>
#include <ikemesh/testkit/FakeHost.hpp>

namespace ikemesh::testkit {

/// A deterministic keyed function with the shape of the negotiated PRF (32 octets out). It is
/// NOT cryptographic: it only lets both sides of the harness compute the same values, and
/// different values for different inputs.
inline std::vector<std::uint8_t> testPrf(std::span<const std::uint8_t> key,
                                         std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> out(32);
  for (std::size_t block = 0; block < 4; ++block) {
    std::uint64_t hash = 0xcbf29ce484222325ull ^ (block * 0x9e3779b97f4a7c15ull);
    auto mix = [&](std::uint8_t octet) {
      hash ^= octet;
      hash *= 0x100000001b3ull;
      hash ^= hash >> 29;
    };
    for (auto octet : key) mix(octet);
    mix(0xa5);
    for (auto octet : data) mix(octet);
    for (auto octet : key) mix(octet);
    for (std::size_t i = 0; i < 8; ++i) out[block * 8 + i] = static_cast<std::uint8_t>(hash >> (8 * i));
  }
  return out;
}

/// One side of the harness: the method, the host its plugin was made with (the harness runs
/// its posted work), the connection the side uses and its address.
struct AuthPeer {
  AuthMethod* method = nullptr;
  FakeHost* host = nullptr;
  std::string connection;
  IpAddress address;
};

/// What one side proving itself to the other gave.
struct AuthOutcome {
  std::optional<Result<LocalCredential>> credential;
  std::optional<Result<AuthPayload>> signature;
  std::optional<Result<VerifiedPeer>> verdict;
  int signCallbacks = 0;
  int verifyCallbacks = 0;
};

/// Runs one authentication: `signer` makes its credential and AUTH, `verifier` checks them.
/// `tamper` may change the claim before it is verified; `otherOctets` makes the verifier see
/// a different exchange than the signer signed.
class AuthHarness {
 public:
  AuthHarness(AuthPeer initiator, AuthPeer responder)
      : initiator_(std::move(initiator)), responder_(std::move(responder)) {}

  template <typename Tamper>
  AuthOutcome authenticate(bool initiatorSigns, Tamper tamper, bool otherOctets = false) {
    const AuthPeer& signer = initiatorSigns ? initiator_ : responder_;
    const AuthPeer& verifier = initiatorSigns ? responder_ : initiator_;
    AuthOutcome outcome;
    outcome.credential = signer.method->localCredential(signer.connection);
    if (!*outcome.credential) return outcome;
    // As the engine does (SDK 1.1): an address ID without data is the address the SA uses.
    Identity& id = (*outcome.credential)->id;
    if ((id.type == IdType::Ipv4Address || id.type == IdType::Ipv6Address) && id.data.empty()) {
      id.type = signer.address.isV4() ? IdType::Ipv4Address : IdType::Ipv6Address;
      id.data.assign(signer.address.data(), signer.address.data() + signer.address.size());
    }

    // SK_pi / SK_pr and the signed octets as RFC 7296 §2.15 builds them, here from fixed
    // stand-ins: the side's first message, the other side's nonce, prf(SK_p, ID').
    const std::vector<std::uint8_t> skP(32, initiatorSigns ? 0x11 : 0x22);
    const std::string firstMessage = initiatorSigns ? "first-msg-I" : "first-msg-R";
    std::vector<std::uint8_t> octets(firstMessage.begin(), firstMessage.end());
    std::vector<std::uint8_t> idPayload = {static_cast<std::uint8_t>((*outcome.credential)->id.type), 0, 0,
                                           0};
    idPayload.insert(idPayload.end(), (*outcome.credential)->id.data.begin(),
                     (*outcome.credential)->id.data.end());
    auto macedId = testPrf(skP, idPayload);
    octets.insert(octets.end(), 16, initiatorSigns ? 0x5a : 0xa5);
    octets.insert(octets.end(), macedId.begin(), macedId.end());

    AuthExchange signing{
        signer.connection, signer.address, verifier.address, initiatorSigns, testPrf, skP, octets};
    signer.method->sign(signing, [&](Result<AuthPayload> payload) {
      ++outcome.signCallbacks;
      outcome.signature = std::move(payload);
    });
    settle();
    if (!outcome.signature || !*outcome.signature) return outcome;

    PeerClaim claim{(*outcome.credential)->id, (*outcome.credential)->certificates, **outcome.signature};
    tamper(claim);
    if (otherOctets) octets.back() ^= 0x01;
    AuthExchange verifying{
        verifier.connection, verifier.address, signer.address, !initiatorSigns, testPrf, skP, octets};
    verifier.method->verify(verifying, claim, [&](Result<VerifiedPeer> verdict) {
      ++outcome.verifyCallbacks;
      outcome.verdict = std::move(verdict);
    });
    settle();
    return outcome;
  }

  AuthOutcome authenticate(bool initiatorSigns) {
    return authenticate(initiatorSigns, [](PeerClaim&) {});
  }

 private:
  /// Runs the posted work of both hosts until nothing is left (a method's worker results come
  /// back through Host::postToMain).
  void settle() {
    for (int round = 0; round < 100; ++round) {
      std::size_t ran = 0;
      for (FakeHost* host : {initiator_.host, responder_.host})
        if (host) ran += host->runPosted();
      if (ran == 0) return;
    }
  }

  AuthPeer initiator_;
  AuthPeer responder_;
};

/// The checks every authentication method passes, in both directions: exactly one callback
/// per sign() and verify(); a correct AUTH is accepted with a display ID; a flipped bit, an
/// empty AUTH, a wrong method number or another exchange's signed octets are refused with a
/// message. Returns one line per failed check (empty: conformant).
inline std::vector<std::string> checkAuthConformance(const AuthPeer& initiator, const AuthPeer& responder) {
  std::vector<std::string> failures;
  AuthHarness harness(initiator, responder);
  for (bool initiatorSigns : {true, false}) {
    const std::string side = initiatorSigns ? "initiator -> responder: " : "responder -> initiator: ";
    auto fine = harness.authenticate(initiatorSigns);
    if (!*fine.credential) {
      failures.push_back(side + "localCredential() failed: " + fine.credential->error().message);
      continue;
    }
    if (fine.signCallbacks != 1) {
      failures.push_back(side + "sign() completed " + std::to_string(fine.signCallbacks) +
                         " times, not once");
      continue;
    }
    if (!*fine.signature) {
      failures.push_back(side + "sign() failed: " + fine.signature->error().message);
      continue;
    }
    if ((*fine.signature)->data.empty()) failures.push_back(side + "sign() gave an empty AUTH");
    if (fine.verifyCallbacks != 1)
      failures.push_back(side + "verify() completed " + std::to_string(fine.verifyCallbacks) +
                         " times, not once");
    else if (!*fine.verdict)
      failures.push_back(side + "a correct AUTH was refused: " + fine.verdict->error().message);
    else if ((*fine.verdict)->displayId.empty())
      failures.push_back(side + "verify() accepted with an empty display ID");

    auto refused = [&](const std::string& what, AuthOutcome outcome) {
      if (outcome.verifyCallbacks != 1)
        failures.push_back(side + what + ": verify() completed " + std::to_string(outcome.verifyCallbacks) +
                           " times, not once");
      else if (*outcome.verdict)
        failures.push_back(side + what + " was accepted");
      else if (outcome.verdict->error().message.empty())
        failures.push_back(side + what + " was refused without a message");
    };
    refused("an AUTH with one flipped bit", harness.authenticate(initiatorSigns, [](PeerClaim& claim) {
      if (!claim.auth.data.empty()) claim.auth.data[claim.auth.data.size() / 2] ^= 0x08;
    }));
    refused("an empty AUTH",
            harness.authenticate(initiatorSigns, [](PeerClaim& claim) { claim.auth.data.clear(); }));
    refused("an AUTH with method 2 (shared key) in its place",
            harness.authenticate(initiatorSigns, [](PeerClaim& claim) {
              claim.auth.method = claim.auth.method == AuthMethodId::SharedKeyMic
                                      ? AuthMethodId::Null
                                      : AuthMethodId::SharedKeyMic;
            }));
    refused("an AUTH over another exchange's octets",
            harness.authenticate(
                initiatorSigns, [](PeerClaim&) {}, /*otherOctets=*/true));
  }
  return failures;
}

}  // namespace ikemesh::testkit
