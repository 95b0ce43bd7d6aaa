// SPDX-License-Identifier: GPL-2.0-or-later
// The responder's second look at its connection at IKE_AUTH (the peer's traffic selectors and
// identity are known then), and rightid= against the peer's ID.
#include "EngineHarness.hpp"
#include "ike/engine/PeerIdentity.hpp"
#include "policy/ExplicitConnectionTable.hpp"

namespace ikemesh::testkit {
namespace {

TrafficSelector subnet(std::string_view text) {
  auto prefix = IpPrefix::parse(text);
  EXPECT_TRUE(prefix) << text;
  return policy::selectorFor(prefix.value_or(IpPrefix{}));
}

TEST_F(EngineTest, ResponderSwitchesToTheConnTheSelectorsFit) {
  a.connection.name = "s2s";
  a.connection.mode = IpsecMode::Tunnel;
  a.connection.localSelectors = {subnet("10.15.1.0/24")};
  a.connection.remoteSelectors = {subnet("10.15.2.0/24")};
  // b chose its host-to-host conn by address at IKE_SA_INIT; the selectors belong to "east".
  ConnectionView east = b.connection;
  east.name = "east";
  east.mode = IpsecMode::Tunnel;
  east.localSelectors = {subnet("10.15.2.0/24")};
  east.remoteSelectors = {subnet("10.15.1.0/24")};
  b.bySelectors = east;
  connect();
  ASSERT_EQ(b.childrenUp.size(), 1u);
  EXPECT_EQ(b.childrenUp[0].connection, "east");
  EXPECT_EQ(b.childrenUp[0].localSelectors, std::vector<TrafficSelector>{subnet("10.15.2.0/24")});
  EXPECT_EQ(b.childrenUp[0].remoteSelectors, std::vector<TrafficSelector>{subnet("10.15.1.0/24")});
  EXPECT_EQ(b.established.at(0).connection, "east");
  EXPECT_EQ(b.offeredSelectors.first, std::vector<TrafficSelector>{subnet("10.15.1.0/24")});
  EXPECT_EQ(b.offeredSelectors.second, std::vector<TrafficSelector>{subnet("10.15.2.0/24")});
  EXPECT_TRUE(b.host.logged("switched from connection 'private' to 'east'"));
  ASSERT_EQ(a.childrenUp.size(), 1u);
  EXPECT_EQ(a.childrenUp[0].mode, IpsecMode::Tunnel);
}

TEST_F(EngineTest, ResponderKeepsItsConnWhenNoneFitsBetter) {
  connect();
  ASSERT_EQ(b.childrenUp.size(), 1u);
  EXPECT_EQ(b.childrenUp[0].connection, "private");
  EXPECT_FALSE(b.host.logged("switched from connection"));
}

TEST_F(EngineTest, RightIdThatThePeerDoesNotSendFailsAuthenticationNamingBothIds) {
  b.connection.remoteIdentity = ike::identityFromConfig("@west.example");
  connect();
  EXPECT_EQ(a.established.size(), 0u);
  EXPECT_EQ(b.established.size(), 0u);
  EXPECT_TRUE(
      b.host.logged("IDi: connection 'private' expects rightid @west.example, the peer sent ID_NULL"));
  ASSERT_FALSE(a.failures.empty());
  EXPECT_NE(a.failures.back().find("AUTHENTICATION_FAILED"), std::string::npos) << a.failures.back();
}

TEST_F(EngineTest, InitiatorChecksRightIdAgainstTheResponderId) {
  a.connection.remoteIdentity = ike::identityFromConfig("192.0.2.99");
  connect();
  EXPECT_EQ(a.established.size(), 0u);
  EXPECT_TRUE(a.host.logged("IDr: connection 'private' expects rightid 192.0.2.99, the peer sent ID_NULL"));
}

TEST(PeerIdentity, RightIdForms) {
  using ike::describeIdentity;
  using ike::identityFromConfig;
  EXPECT_FALSE(identityFromConfig(""));
  EXPECT_FALSE(identityFromConfig("%any"));
  EXPECT_FALSE(identityFromConfig("%fromcert"));
  EXPECT_FALSE(identityFromConfig("C=US, O=Example, CN=east")) << "a DN is the auth plugin's to check";
  EXPECT_EQ(identityFromConfig("%null")->type, IdType::Null);
  auto fqdn = identityFromConfig("@east.example");
  ASSERT_TRUE(fqdn);
  EXPECT_EQ(fqdn->type, IdType::Fqdn);
  EXPECT_EQ(describeIdentity(*fqdn), "@east.example");
  EXPECT_EQ(*identityFromConfig("@@east.example"), *fqdn);
  auto mail = identityFromConfig("admin@east.example");
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->type, IdType::Rfc822Address);
  EXPECT_EQ(describeIdentity(*mail), "admin@east.example");
  auto v4 = identityFromConfig("192.0.2.2");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->type, IdType::Ipv4Address);
  EXPECT_EQ(v4->data.size(), 4u);
  EXPECT_EQ(describeIdentity(*v4), "192.0.2.2");
  auto v6 = identityFromConfig("2001:db8::2");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->type, IdType::Ipv6Address);
  EXPECT_EQ(describeIdentity(*v6), "2001:db8::2");
  EXPECT_EQ(describeIdentity(Identity{IdType::KeyId, {1, 2, 3}}), "(ID type 11, 3 octets)");
}

}  // namespace
}  // namespace ikemesh::testkit
