// SPDX-License-Identifier: GPL-2.0-or-later
// The auth-null plugin on its own (RFC 7619).
#include <gtest/gtest.h>

#include "NullAuthMethod.hpp"
#include "NullAuthPlugin.hpp"
#include "VirtualTimeHost.hpp"

namespace ikemesh::authnull {
namespace {

/// A toy PRF that is enough to tell inputs apart (the real one comes from the engine).
std::vector<std::uint8_t> toyPrf(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> out(8, 0);
  for (std::size_t i = 0; i < key.size(); ++i)
    out[i % 8] = static_cast<std::uint8_t>(out[i % 8] * 31 + key[i]);
  for (std::size_t i = 0; i < data.size(); ++i)
    out[(i + 3) % 8] = static_cast<std::uint8_t>(out[(i + 3) % 8] * 17 + data[i]);
  return out;
}

AuthExchange exchange(std::vector<std::uint8_t> skP) {
  AuthExchange e;
  e.connection = "private";
  e.prf = toyPrf;
  e.skP = std::move(skP);
  e.signedOctets = {1, 2, 3, 4, 5};
  return e;
}

TEST(NullAuthMethod, PluginProvidesAuthNullOnly) {
  testkit::VirtualClock clock;
  testkit::VirtualTimeHost host(clock, "auth-null");
  NullAuthPlugin plugin(host);
  EXPECT_NE(plugin.authMethod("auth.null"), nullptr);
  EXPECT_EQ(plugin.authMethod("auth.rsasig"), nullptr);
  EXPECT_EQ(plugin.dataplane("dataplane.tun"), nullptr);
}

TEST(NullAuthMethod, LocalIdentityIsIdNullWithoutData) {
  NullAuthMethod method;
  auto credential = method.localCredential("private");
  ASSERT_TRUE(credential);
  EXPECT_EQ(credential->id.type, IdType::Null);
  EXPECT_TRUE(credential->id.data.empty());
  EXPECT_TRUE(credential->certificates.empty());
}

TEST(NullAuthMethod, AuthDataIsTheSharedKeyMicWithSkP) {
  NullAuthMethod method;
  std::optional<Result<AuthPayload>> signed_;
  method.sign(exchange({9, 9, 9}), [&](Result<AuthPayload> r) { signed_.emplace(std::move(r)); });
  ASSERT_TRUE(signed_ && *signed_);
  EXPECT_EQ((*signed_)->method, AuthMethodId::Null);
  // RFC 7619 §3 / RFC 7296 §2.15: prf(prf(SK_p, "Key Pad for IKEv2"), octets).
  const std::string pad = "Key Pad for IKEv2";
  auto key = toyPrf(std::vector<std::uint8_t>{9, 9, 9}, std::vector<std::uint8_t>(pad.begin(), pad.end()));
  EXPECT_EQ((*signed_)->data, toyPrf(key, std::vector<std::uint8_t>{1, 2, 3, 4, 5}));
}

TEST(NullAuthMethod, VerifyAcceptsTheRightMicAndNamesItIdNull) {
  NullAuthMethod method;
  PeerClaim claim{{IdType::Null, {}}, {}, {AuthMethodId::Null, NullAuthMethod::authData(exchange({7}))}};
  std::optional<Result<VerifiedPeer>> verdict;
  method.verify(exchange({7}), claim, [&](Result<VerifiedPeer> r) { verdict.emplace(std::move(r)); });
  ASSERT_TRUE(verdict && *verdict) << (verdict && !*verdict ? verdict->error().message : "");
  EXPECT_EQ((*verdict)->displayId, "ID_NULL");
}

TEST(NullAuthMethod, VerifyRefusesAnotherKeyAnotherMethodAndIdNullWithData) {
  NullAuthMethod method;
  auto check = [&](const PeerClaim& claim) {
    std::optional<Result<VerifiedPeer>> verdict;
    method.verify(exchange({7}), claim, [&](Result<VerifiedPeer> r) { verdict.emplace(std::move(r)); });
    EXPECT_TRUE(verdict.has_value());
    return verdict && !*verdict ? verdict->error().message : std::string();
  };
  EXPECT_NE(check({{IdType::Null, {}}, {}, {AuthMethodId::Null, NullAuthMethod::authData(exchange({8}))}})
                .find("does not match"),
            std::string::npos);
  EXPECT_NE(
      check({{IdType::Null, {}}, {}, {AuthMethodId::SharedKeyMic, NullAuthMethod::authData(exchange({7}))}})
          .find("AUTH method 2"),
      std::string::npos);
  EXPECT_NE(check({{IdType::Null, {1}}, {}, {AuthMethodId::Null, NullAuthMethod::authData(exchange({7}))}})
                .find("ID_NULL"),
            std::string::npos);
}

}  // namespace
}  // namespace ikemesh::authnull
