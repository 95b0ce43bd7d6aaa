// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7296 §2.23: a peer's NAT changed its mapping. The dataplane reports it
// (DataplaneEvents::natMappingChanged, SDK 1.2) and the engine follows a new port where the
// RFC lets it: not behind a NAT itself, ESP in UDP, anti-replay on.
#include "EngineHarness.hpp"

namespace ikemesh::testkit {
namespace {

class NatMappingTest : public EngineTest {
 protected:
  /// a pretends to be behind a NAT (encapsulation=yes): b sees a NATed peer, ESP goes in UDP.
  void connectThroughNat() {
    a.connection.forceEncapsulation = true;
    connect();
    ASSERT_EQ(b.established.size(), 1u);
    ASSERT_EQ(b.childrenUp.size(), 1u);
    ASSERT_TRUE(b.childrenUp[0].encapsulated);
  }
  /// What a dataplane of `node` reports for its first CHILD SA: the peer's ESP now comes from
  /// `address`:`port`.
  static NatMapping mappingAt(Node& node, const char* address, std::uint16_t port) {
    auto sa = node.engine.ikeSa(node.established[0].serial);
    EXPECT_TRUE(sa);
    return {{node.childrenUp[0].inboundSpi, node.endpoint.address},
            sa->remote.address,
            sa->remote.port,
            *IpAddress::parse(address),
            port};
  }
  std::uint16_t remotePortAt(Node& node) {
    return node.engine.ikeSa(node.established[0].serial)->remote.port;
  }
};

TEST_F(NatMappingTest, ANewPortOfANatedPeerGetsIkeAndTheRekeyedChildSa) {
  connectThroughNat();
  const auto oldInbound = b.childrenUp[0].inboundSpi;
  std::vector<Endpoint> sentByB;
  network.filter = [&](const Datagram& d) {
    if (d.from.address == b.endpoint.address) sentByB.push_back(d.to);
    return Fate::Deliver;
  };
  b.engine.natMappingChanged(mappingAt(b, "192.0.2.1", 40000));
  network.settle();
  EXPECT_EQ(remotePortAt(b), 40000);
  EXPECT_EQ(b.engine.counters().natMappingUpdates, 1u);
  ASSERT_FALSE(sentByB.empty());
  for (const auto& to : sentByB) EXPECT_EQ(to.port, 40000) << to.toString();
  // The CHILD SA was rekeyed: the old pair is gone (its inbound side after a delay), the new
  // outbound SA sends to the new port.
  network.advance(IkeEngine::kRekeyedInboundDelay);
  EXPECT_EQ(b.recorder.find(oldInbound, SaDirection::Inbound), nullptr);
  ASSERT_EQ(b.childrenUp.size(), 2u);
  const auto* outbound = b.recorder.find(b.childrenUp[1].outboundSpi, SaDirection::Outbound);
  ASSERT_NE(outbound, nullptr);
  ASSERT_TRUE(outbound->encapsulation);
  EXPECT_EQ(outbound->encapsulation->destinationPort, 40000);
  EXPECT_EQ(a.establishedIkeSas(), 1u);
  EXPECT_EQ(b.establishedIkeSas(), 1u);
}

TEST_F(NatMappingTest, ASecondReportOfTheSameMappingChangesNothingMore) {
  connectThroughNat();
  b.engine.natMappingChanged(mappingAt(b, "192.0.2.1", 40000));
  network.settle();
  const auto children = b.childrenUp.size();
  b.engine.natMappingChanged(mappingAt(b, "192.0.2.1", 40000));
  network.settle();
  EXPECT_EQ(b.engine.counters().natMappingUpdates, 1u);
  EXPECT_EQ(b.childrenUp.size(), children);
}

TEST_F(NatMappingTest, AHostBehindANatItselfDoesNotFollow) {
  connectThroughNat();
  // a is the NATed side (RFC 7296 §2.23: SHOULD NOT update, a single packet could break it).
  const auto before = remotePortAt(a);
  a.engine.natMappingChanged(mappingAt(a, "198.51.100.2", 40000));
  network.settle();
  EXPECT_EQ(remotePortAt(a), before);
  EXPECT_EQ(a.engine.counters().natMappingUpdates, 0u);
  EXPECT_EQ(a.childrenUp.size(), 1u);
}

TEST_F(NatMappingTest, ANewAddressIsNotFollowed) {
  connectThroughNat();
  const auto before = b.engine.ikeSa(b.established[0].serial)->remote;
  b.engine.natMappingChanged(mappingAt(b, "203.0.113.7", 40000));
  network.settle();
  EXPECT_EQ(b.engine.ikeSa(b.established[0].serial)->remote, before);
  EXPECT_EQ(b.engine.counters().natMappingUpdates, 0u);
  EXPECT_EQ(b.childrenUp.size(), 1u);
}

TEST_F(NatMappingTest, WithoutEspInUdpOrWithoutAnInboundSaOfOursNothingChanges) {
  connect();
  ASSERT_EQ(b.childrenUp.size(), 1u);
  ASSERT_FALSE(b.childrenUp[0].encapsulated);
  const auto before = remotePortAt(b);
  b.engine.natMappingChanged(mappingAt(b, "192.0.2.1", 40000));
  auto unknown = mappingAt(b, "192.0.2.1", 40000);
  unknown.sa.spi ^= 0xffff;
  b.engine.natMappingChanged(unknown);
  network.settle();
  EXPECT_EQ(remotePortAt(b), before);
  EXPECT_EQ(b.engine.counters().natMappingUpdates, 0u);
  EXPECT_EQ(b.childrenUp.size(), 1u);
}

}  // namespace
}  // namespace ikemesh::testkit
