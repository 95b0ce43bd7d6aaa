// SPDX-License-Identifier: GPL-2.0-or-later
// IKE_SA_INIT + IKE_AUTH with NULL authentication, end to end between two engines.
#include "EngineHarness.hpp"

namespace ikemesh::testkit {
namespace {

using ike::ExchangeType;

/// The SA of `from`'s dataplane sending to the peer must be the peer's inbound SA, byte for byte.
void expectMirrored(const SaParams& outbound, const RecordingDataplane& peer) {
  const SaParams* inbound = peer.find(outbound.ref.spi, SaDirection::Inbound);
  ASSERT_NE(inbound, nullptr) << "no inbound SA " << outbound.ref.spi << " at the peer";
  EXPECT_EQ(inbound->ref.destination, outbound.ref.destination);
  EXPECT_EQ(inbound->source, outbound.source);
  EXPECT_EQ(inbound->encryption, outbound.encryption);
  EXPECT_EQ(inbound->encryptionKey, outbound.encryptionKey);
  EXPECT_EQ(inbound->integrity, outbound.integrity);
  EXPECT_EQ(inbound->integrityKey, outbound.integrityKey);
  EXPECT_EQ(inbound->mode, outbound.mode);
  EXPECT_EQ(inbound->localSelectors, outbound.remoteSelectors);
  EXPECT_EQ(inbound->remoteSelectors, outbound.localSelectors);
}

TEST_F(EngineTest, NullAuthEstablishesIkeSaAndChildSaWithMirroredKeys) {
  connect();

  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(a.established[0].peerId, "ID_NULL");
  EXPECT_EQ(b.established[0].peerId, "ID_NULL");
  EXPECT_EQ(a.established[0].initiatorSpi, b.established[0].initiatorSpi);
  EXPECT_EQ(a.established[0].responderSpi, b.established[0].responderSpi);
  // Defaults (RFC 8247): AES-GCM-16 256 with Curve25519 first.
  EXPECT_NE(a.established[0].algorithms.find("Curve25519"), std::string::npos) << a.established[0].algorithms;

  ASSERT_EQ(a.recorder.installed.size(), 2u);
  ASSERT_EQ(b.recorder.installed.size(), 2u);
  for (const auto* out : a.recorder.inDirection(SaDirection::Outbound)) expectMirrored(*out, b.recorder);
  for (const auto* out : b.recorder.inDirection(SaDirection::Outbound)) expectMirrored(*out, a.recorder);

  const SaParams& aOut = *a.recorder.inDirection(SaDirection::Outbound).front();
  EXPECT_EQ(aOut.encryption, EncryptionId::AesGcm16);
  EXPECT_EQ(aOut.encryptionKey.size(), 36u);  // AES-256 key + 4-octet salt (RFC 4106 §8.1)
  EXPECT_EQ(aOut.mode, IpsecMode::Transport);
  EXPECT_FALSE(aOut.encapsulation.has_value());
  EXPECT_EQ(aOut.localSelectors, std::vector<TrafficSelector>{TrafficSelector::forHost(a.endpoint.address)});
  EXPECT_EQ(aOut.remoteSelectors, std::vector<TrafficSelector>{TrafficSelector::forHost(b.endpoint.address)});
  // The two directions use different keys (RFC 7296 §2.17).
  EXPECT_NE(aOut.encryptionKey, a.recorder.inDirection(SaDirection::Inbound).front()->encryptionKey);
  ASSERT_EQ(a.childrenUp.size(), 1u);
  ASSERT_EQ(b.childrenUp.size(), 1u);
  EXPECT_EQ(a.childrenUp[0].inboundSpi, b.childrenUp[0].outboundSpi);
  EXPECT_EQ(a.engine.counters().rejected, 0u);
  EXPECT_EQ(b.engine.counters().rejected, 0u);
}

TEST_F(EngineTest, IkeSaBySerialIsTheListedSaAndNothingForAnUnknownSerial) {
  connect();
  ASSERT_EQ(b.childrenUp.size(), 1u);
  const auto listed = b.engine.ikeSas();
  ASSERT_EQ(listed.size(), 1u);
  auto found = b.engine.ikeSa(b.childrenUp[0].ikeSa);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->serial, listed[0].serial);
  EXPECT_EQ(found->remote, listed[0].remote);
  EXPECT_EQ(found->initiatorSpi, listed[0].initiatorSpi);
  EXPECT_TRUE(found->established);
  EXPECT_FALSE(b.engine.ikeSa(listed[0].serial + 1000).has_value());
}

TEST_F(EngineTest, AesCbcProposalsGiveIntegrityKeys) {
  a.connection.ikeProposals = "aes256-sha2_256-modp2048";
  b.connection.ikeProposals = "aes256-sha2_256-modp2048";
  a.connection.espProposals = b.connection.espProposals = "aes128-sha2_512";
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_NE(a.established[0].algorithms.find("MODP-2048"), std::string::npos) << a.established[0].algorithms;
  const SaParams& out = *a.recorder.inDirection(SaDirection::Outbound).front();
  EXPECT_EQ(out.encryption, EncryptionId::AesCbc);
  EXPECT_EQ(out.encryptionKey.size(), 16u);
  EXPECT_EQ(out.integrity, IntegrityId::HmacSha2_512_256);
  EXPECT_EQ(out.integrityKey.size(), 64u);
  expectMirrored(out, b.recorder);
}

TEST_F(EngineTest, InvalidKePayloadMakesTheInitiatorRetryWithTheResponderGroup) {
  a.connection.ikeProposals = "aes_gcm256-sha2_512;dh31+dh19";
  b.connection.ikeProposals = "aes_gcm256-sha2_512;dh19";
  connect();
  EXPECT_EQ(a.engine.counters().invalidKeRetries, 1u);
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_NE(a.established[0].algorithms.find("ECP-256"), std::string::npos) << a.established[0].algorithms;
  EXPECT_EQ(b.recorder.installed.size(), 2u);
}

TEST_F(EngineTest, NoCommonProposalFailsWithNoProposalChosen) {
  a.connection.ikeProposals = "aes256-sha2_256;modp2048";
  b.connection.ikeProposals = "aes_gcm256-sha2_512;dh19";
  connect();
  ASSERT_EQ(a.failures.size(), 1u);
  EXPECT_NE(a.failures[0].find("NO_PROPOSAL_CHOSEN"), std::string::npos) << a.failures[0];
  EXPECT_EQ(b.engine.counters().rejectedByField.at("SA"), 1u);
  EXPECT_TRUE(a.engine.ikeSas().empty());
  EXPECT_TRUE(b.engine.ikeSas().empty());
}

TEST_F(EngineTest, ResponderWithoutConnectionRefusesThePeer) {
  b.refusePeers = true;
  connect();
  ASSERT_EQ(a.failures.size(), 1u);
  EXPECT_EQ(b.engine.counters().rejectedByField.at("peer"), 1u);
}

TEST_F(EngineTest, TunnelModeWhenTheResponderDoesNotAgreeToTransport) {
  b.connection.mode = IpsecMode::Tunnel;
  connect();
  ASSERT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_EQ(a.recorder.installed[0].mode, IpsecMode::Tunnel);
  EXPECT_EQ(b.recorder.installed[0].mode, IpsecMode::Tunnel);
}

TEST_F(EngineTest, ResponderNarrowsTrafficSelectorsToItsConnection) {
  // a offers its whole /24 <-> b's /24; b only protects host to host.
  a.connection.localSelectors = {
      {*IpAddress::parse("192.0.2.0"), *IpAddress::parse("192.0.2.255"), 0, 0, 65535}};
  a.connection.remoteSelectors = {
      {*IpAddress::parse("198.51.100.0"), *IpAddress::parse("198.51.100.255"), 0, 0, 65535}};
  connect();
  ASSERT_EQ(a.recorder.installed.size(), 2u);
  const auto& out = *a.recorder.inDirection(SaDirection::Outbound).front();
  EXPECT_EQ(out.localSelectors, std::vector<TrafficSelector>{TrafficSelector::forHost(a.endpoint.address)});
  EXPECT_EQ(out.remoteSelectors, std::vector<TrafficSelector>{TrafficSelector::forHost(b.endpoint.address)});
}

// Found against Libreswan on a kernel without ESP (tests/interop/libreswan_null.sh): it
// completes IKE_AUTH and refuses the CHILD SA with TS_UNACCEPTABLE; the initiator kept its
// negotiation shunt forever instead of applying the failure shunt.
TEST_F(EngineTest, ChildRefusedInIkeAuthKeepsTheIkeSaAndReportsAFailure) {
  b.connection.localSelectors = {
      {*IpAddress::parse("203.0.113.0"), *IpAddress::parse("203.0.113.255"), 0, 0, 65535}};
  connect();
  EXPECT_EQ(a.establishedIkeSas(), 1u);
  EXPECT_EQ(b.establishedIkeSas(), 1u);
  EXPECT_TRUE(a.childrenUp.empty());
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(b.recorder.installed.empty());
  ASSERT_EQ(a.failures.size(), 1u);
  EXPECT_NE(a.failures[0].find("TS_UNACCEPTABLE"), std::string::npos) << a.failures[0];
  // A CREATE_CHILD_SA for a new CHILD SA that is refused too is reported the same way.
  ASSERT_TRUE(a.engine.initiate(a.connection, a.endpoint, b.endpoint));
  network.settle();
  ASSERT_EQ(a.failures.size(), 2u);
  EXPECT_NE(a.failures[1].find("TS_UNACCEPTABLE"), std::string::npos) << a.failures[1];
  EXPECT_EQ(a.engine.ikeSas().size(), 1u);
  EXPECT_TRUE(a.recorder.installed.empty());
}

// RFC 6023: with childless=yes the initiator's IKE_AUTH carries no CHILD SA (both sides
// announce CHILDLESS_IKEV2_SUPPORTED); the responder establishes the IKE SA alone and the CHILD
// SA follows in a CREATE_CHILD_SA, with a key exchange of its own.
TEST_F(EngineTest, ChildlessIkeAuthThenTheChildSaInCreateChildSa) {
  a.connection.childless = true;
  int createChildRequests = 0;
  network.filter = [&](const Datagram& d) {
    if (d.is(ExchangeType::CreateChildSa, false)) ++createChildRequests;
    return Fate::Deliver;
  };
  auto serial = connect();
  EXPECT_EQ(a.establishedIkeSas(), 1u);
  EXPECT_EQ(b.establishedIkeSas(), 1u);
  EXPECT_EQ(createChildRequests, 1);
  ASSERT_EQ(a.childrenUp.size(), 1u);
  ASSERT_EQ(b.childrenUp.size(), 1u);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_EQ(a.childrenUp[0].ikeSa, serial);
  EXPECT_TRUE(a.failures.empty());
  EXPECT_EQ(a.engine.counters().rejected + b.engine.counters().rejected, 0u);
}

TEST_F(EngineTest, NatDetectedMovesIkeToPort4500AndEncapsulatesEsp) {
  // b sees a's datagrams from a NAT's address and port: rewrite the source on the way.
  const Endpoint nat{*IpAddress::parse("203.0.113.9"), 40000};
  // Route the NAT address back to a: requests leave a as nat, answers to nat reach a.
  network.attach(nat.address, &a.engine);
  auto serial = a.engine.initiate(a.connection, a.endpoint, b.endpoint);
  ASSERT_TRUE(serial);
  network.filter = [&](const Datagram& d) {
    if (d.to.address == b.endpoint.address && d.from.address == a.endpoint.address) {
      // Deliver a's datagram to b as coming from the NAT (port 40000 for 500, 40001 for 4500).
      Endpoint from{nat.address, static_cast<std::uint16_t>(d.from.port == 500 ? 40000 : 40001)};
      b.engine.receive(d.bytes, from, d.to);
      return Fate::Drop;
    }
    if (d.to.address == nat.address) {
      a.engine.receive(
          d.bytes, d.from,
          Endpoint{a.endpoint.address, static_cast<std::uint16_t>(d.to.port == 40000 ? 500 : 4500)});
      return Fate::Drop;
    }
    return Fate::Deliver;
  };
  network.settle();
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_EQ(a.established[0].remote.port, 4500);
  ASSERT_EQ(a.recorder.installed.size(), 2u);
  ASSERT_EQ(b.recorder.installed.size(), 2u);
  const auto& out = *a.recorder.inDirection(SaDirection::Outbound).front();
  ASSERT_TRUE(out.encapsulation.has_value());
  EXPECT_EQ(out.encapsulation->sourcePort, 4500);
  EXPECT_EQ(out.encapsulation->destinationPort, 4500);
  const auto& bOut = *b.recorder.inDirection(SaDirection::Outbound).front();
  ASSERT_TRUE(bOut.encapsulation.has_value());
  EXPECT_EQ(bOut.encapsulation->destinationPort, 40001);  // the NAT's mapping of a's port 4500
}

}  // namespace
}  // namespace ikemesh::testkit

namespace ikemesh::testkit {
namespace {

/// NULL authentication that also asks for certificates, as an X.509 method would.
class CertificateRequestingNullAuth final : public ikemesh::AuthMethod {
 public:
  Result<LocalCredential> localCredential(const std::string& c) override { return null_.localCredential(c); }
  std::vector<Certificate> certificateRequests(const std::string&) override { return {{4, {0xca, 0xfe}}}; }
  void sign(const AuthExchange& e, std::function<void(Result<AuthPayload>)> done) override {
    null_.sign(e, done);
  }
  void verify(const AuthExchange& e, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override {
    null_.verify(e, claim, done);
  }

 private:
  authnull::NullAuthMethod null_;
};

TEST_F(EngineTest, CertificateRequestsOfTheAuthMethodAreSentInIkeSaInitResponse) {
  CertificateRequestingNullAuth auth;
  b.authOverride = &auth;
  bool sawCertificateRequest = false;
  network.filter = [&](const Datagram& d) {
    if (d.is(ike::ExchangeType::IkeSaInit, true)) {
      auto message = ike::decode(d.bytes);
      if (message)
        if (const auto* p = message->find(ike::PayloadType::CertificateRequest))
          sawCertificateRequest =
              p->as<ike::CertificateRequestPayload>()->authorities == std::vector<std::uint8_t>{0xca, 0xfe};
    }
    return Fate::Deliver;
  };
  connect();
  EXPECT_TRUE(sawCertificateRequest);
  EXPECT_EQ(a.established.size(), 1u);
}

TEST_F(EngineTest, NullAuthenticationAnnouncesNoSignatureHashAlgorithms) {
  bool announced = false;
  network.filter = [&](const Datagram& d) {
    if (auto message = ike::decode(d.bytes); message && d.is(ike::ExchangeType::IkeSaInit, false))
      announced = announced || message->findNotify(ike::NotifyType::SignatureHashAlgorithms) != nullptr;
    return Fate::Deliver;
  };
  connect();
  EXPECT_FALSE(announced) << "RFC 7427 §4 is for Digital Signature authentication only";
  EXPECT_EQ(a.established.size(), 1u);
}

}  // namespace
}  // namespace ikemesh::testkit

namespace ikemesh::testkit {
namespace {

/// A method that needs the peer's key from DNS would be told of the exchange at IKE_SA_INIT
/// (PeerLookahead) and claims its address ID by leaving the address to the engine.
class LookaheadAuth final : public ikemesh::AuthMethod, public ikemesh::PeerLookahead {
 public:
  Result<LocalCredential> localCredential(const std::string&) override {
    return LocalCredential{{IdType::Ipv4Address, {}}, {}};
  }
  void sign(const AuthExchange& e, std::function<void(Result<AuthPayload>)> done) override {
    null_.sign(e, done);
  }
  void verify(const AuthExchange& e, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override {
    verifiedAfterLookahead = !started.empty();
    claimed = claim.id;
    (void)e;
    done(VerifiedPeer{"address ID"});
  }
  void exchangeStarting(const std::string& connection, const IpAddress&, const IpAddress& peer) override {
    started.push_back(connection + " " + peer.toString());
  }

  std::vector<std::string> started;
  bool verifiedAfterLookahead = false;
  Identity claimed;

 private:
  authnull::NullAuthMethod null_;
};

TEST_F(EngineTest, LookaheadStartsAtIkeSaInitAndEmptyAddressIdsBecomeTheSaAddress) {
  LookaheadAuth authA;
  LookaheadAuth authB;
  a.authOverride = &authA;
  b.authOverride = &authB;
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_EQ(authA.started, std::vector<std::string>{"private 198.51.100.2"});
  EXPECT_EQ(authB.started, std::vector<std::string>{"private 192.0.2.1"});
  EXPECT_TRUE(authA.verifiedAfterLookahead);
  EXPECT_TRUE(authB.verifiedAfterLookahead);
  // RFC 7296 §3.5: each side's ID_IPV4_ADDR carries the address its IKE SA uses.
  EXPECT_EQ(authB.claimed, (Identity{IdType::Ipv4Address, {192, 0, 2, 1}}));
  EXPECT_EQ(authA.claimed, (Identity{IdType::Ipv4Address, {198, 51, 100, 2}}));
}

// RFC 7296 §2.4: a peer that lost its state (here: a new engine at a's address) says
// INITIAL_CONTACT in its IKE_AUTH; b removes its old IKE SA with that peer and keeps the one
// with another peer.
TEST_F(EngineTest, InitialContactFromARestartedPeerRemovesOnlyItsOldIkeSa) {
  connect();
  Node c(clock, network, "c", "203.0.113.3", 0xc0000100);
  ASSERT_TRUE(c.engine.initiate(c.connection, c.endpoint, b.endpoint));
  network.settle();
  ASSERT_EQ(b.establishedIkeSas(), 2u);

  Node restarted(clock, network, "a again", "192.0.2.1", 0xa1000100);
  ASSERT_TRUE(restarted.engine.initiate(restarted.connection, restarted.endpoint, b.endpoint));
  network.settle();

  ASSERT_EQ(restarted.established.size(), 1u);
  ASSERT_EQ(b.deleted.size(), 1u);
  EXPECT_EQ(b.deleted[0].first.initiatorSpi, a.established[0].initiatorSpi);
  EXPECT_NE(b.deleted[0].second.find("INITIAL_CONTACT"), std::string::npos) << b.deleted[0].second;
  EXPECT_EQ(b.establishedIkeSas(), 2u);  // the restarted peer's new one and c's
}

}  // namespace
}  // namespace ikemesh::testkit
