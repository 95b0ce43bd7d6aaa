// SPDX-License-Identifier: GPL-2.0-or-later
// After establishment: DELETE (RFC 7296 §1.4.1), liveness (§2.4), rekeying (§2.8, §2.18).
#include "EngineHarness.hpp"

namespace ikemesh::testkit {
namespace {

using namespace std::chrono_literals;
using ike::ExchangeType;

TEST_F(EngineTest, InitiatorDeletesTheIkeSaAndBothSidesRemoveEverything) {
  auto serial = connect();
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_TRUE(a.engine.deleteIkeSa(serial));
  network.settle();
  EXPECT_TRUE(a.engine.ikeSas().empty());
  EXPECT_TRUE(b.engine.ikeSas().empty());
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(b.recorder.installed.empty());
  ASSERT_EQ(b.deleted.size(), 1u);
  EXPECT_EQ(b.deleted[0].second, "deleted by the peer");
  EXPECT_EQ(a.childrenDown.size(), 1u);
  EXPECT_EQ(b.childrenDown.size(), 1u);
}

TEST_F(EngineTest, ResponderDeletesTheIkeSaAndBothSidesRemoveEverything) {
  connect();
  ASSERT_EQ(b.established.size(), 1u);
  ASSERT_TRUE(b.engine.deleteIkeSa(b.established[0].serial));
  network.settle();
  EXPECT_TRUE(a.engine.ikeSas().empty());
  EXPECT_TRUE(b.engine.ikeSas().empty());
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(b.recorder.installed.empty());
  ASSERT_EQ(a.deleted.size(), 1u);
  EXPECT_EQ(a.deleted[0].second, "deleted by the peer");
}

TEST_F(EngineTest, DeletingACHildSaKeepsTheIkeSa) {
  auto serial = connect();
  ASSERT_EQ(a.childrenUp.size(), 1u);
  ASSERT_TRUE(a.engine.deleteChildSa(serial, a.childrenUp[0].inboundSpi));
  network.settle();
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(b.recorder.installed.empty());
  EXPECT_EQ(a.establishedIkeSas(), 1u);
  EXPECT_EQ(b.establishedIkeSas(), 1u);
  EXPECT_EQ(b.childrenDown.size(), 1u);
}

// Found against strongSwan (tests/interop/strongswan_rekey.sh): a CHILD SA whose rekey the
// peer refused expired, and every later acquire found the IKE SA and did nothing, so the
// traffic met the trap until the IKE SA died.
TEST_F(EngineTest, AcquireOnAnIkeSaWithoutChildSaAsksForANewOne) {
  for (bool pfs : {true, false}) {
    SCOPED_TRACE(pfs ? "with PFS" : "without PFS");
    a.connection.pfs = pfs;
    auto serial = connect();
    ASSERT_EQ(a.childrenUp.size(), 1u);
    a.engine.saExpired({a.childrenUp[0].inboundSpi, a.endpoint.address}, true);
    network.settle();
    ASSERT_TRUE(a.recorder.installed.empty());
    ASSERT_TRUE(b.recorder.installed.empty());
    // The next packet's acquire: the same IKE SA, and a new CHILD SA on it.
    auto again = a.engine.initiate(a.connection, a.endpoint, b.endpoint);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, serial);
    // A second acquire while the first CREATE_CHILD_SA is out asks for nothing more.
    ASSERT_TRUE(a.engine.initiate(a.connection, a.endpoint, b.endpoint));
    network.settle();
    ASSERT_EQ(a.childrenUp.size(), 2u);
    EXPECT_EQ(b.childrenUp.size(), 2u);
    EXPECT_EQ(a.recorder.installed.size(), 2u);
    EXPECT_EQ(b.recorder.installed.size(), 2u);
    EXPECT_EQ(a.engine.ikeSas().size(), 1u);
    EXPECT_EQ(b.engine.ikeSas().size(), 1u);
    const auto newIn = a.childrenUp[1].inboundSpi;
    ASSERT_NE(a.recorder.find(newIn, SaDirection::Inbound), nullptr);
    ASSERT_NE(b.recorder.find(newIn, SaDirection::Outbound), nullptr);
    EXPECT_EQ(b.recorder.find(newIn, SaDirection::Outbound)->encryptionKey,
              a.recorder.find(newIn, SaDirection::Inbound)->encryptionKey);
    EXPECT_EQ(a.engine.counters().rejected + b.engine.counters().rejected, 0u);
    ASSERT_TRUE(a.engine.deleteIkeSa(serial));
    network.settle();
    a.childrenUp.clear();
    b.childrenUp.clear();
  }
}

// Found against strongSwan ("received DELETE for unknown ESP CHILD_SA"): each direction's hard
// expiry sent its own DELETE for the same CHILD SA.
TEST_F(EngineTest, HardExpiryOfBothDirectionsSendsOneDelete) {
  connect();
  ASSERT_EQ(a.childrenUp.size(), 1u);
  int deletes = 0;
  network.filter = [&](const Datagram& d) {
    if (d.is(ExchangeType::Informational, false)) ++deletes;
    return Fate::Deliver;
  };
  a.engine.saExpired({a.childrenUp[0].inboundSpi, a.endpoint.address}, true);
  a.engine.saExpired({a.childrenUp[0].outboundSpi, b.endpoint.address}, true);
  network.settle();
  EXPECT_EQ(deletes, 1);
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(b.recorder.installed.empty());
  EXPECT_EQ(b.childrenDown.size(), 1u);
  EXPECT_EQ(a.establishedIkeSas(), 1u);
}

TEST_F(EngineTest, DeleteRequestLostOnceIsRetransmitted) {
  auto serial = connect();
  int dropped = 0;
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::Informational, false) && dropped++ == 0 ? Fate::Drop : Fate::Deliver;
  };
  ASSERT_TRUE(a.engine.deleteIkeSa(serial));
  network.settle();
  EXPECT_EQ(a.engine.ikeSas().size(), 1u);
  network.advance(500ms);
  EXPECT_TRUE(a.engine.ikeSas().empty());
  EXPECT_TRUE(b.engine.ikeSas().empty());
}

TEST_F(EngineTest, LivenessCheckDetectsADeadPeerAndRemovesItsSas) {
  a.connection.livenessDelay = 10s;
  a.connection.retransmitTimeout = 5s;
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  network.advance(25s);  // a healthy peer answers every check
  EXPECT_EQ(a.establishedIkeSas(), 1u);
  EXPECT_TRUE(a.deleted.empty());
  network.filter = [&](const Datagram&) { return Fate::Drop; };  // b is gone
  network.advance(40s);
  ASSERT_EQ(a.deleted.size(), 1u);
  EXPECT_NE(a.deleted[0].second.find("peer is dead"), std::string::npos) << a.deleted[0].second;
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(a.engine.ikeSas().empty());
}

TEST_F(EngineTest, ChildRekeyWithPfsInstallsNewSasAndRemovesTheOldOnes) {
  auto serial = connect();
  ASSERT_EQ(a.childrenUp.size(), 1u);
  const auto oldIn = a.childrenUp[0].inboundSpi;
  const auto oldKey = a.recorder.find(oldIn, SaDirection::Inbound)->encryptionKey;
  ASSERT_TRUE(a.engine.rekeyChildSa(serial, oldIn));
  network.settle();
  ASSERT_EQ(a.childrenUp.size(), 2u);
  ASSERT_EQ(b.childrenUp.size(), 2u);
  // Each side's old inbound SA stays a while, for what the other sent on it before it switched.
  EXPECT_NE(a.recorder.find(oldIn, SaDirection::Inbound), nullptr);
  EXPECT_EQ(a.recorder.installed.size(), 3u);
  EXPECT_EQ(b.recorder.installed.size(), 3u);
  network.advance(IkeEngine::kRekeyedInboundDelay - 1ms);
  EXPECT_NE(a.recorder.find(oldIn, SaDirection::Inbound), nullptr);
  network.advance(2ms);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_EQ(a.recorder.find(oldIn, SaDirection::Inbound), nullptr);
  const auto newIn = a.childrenUp[1].inboundSpi;
  ASSERT_NE(a.recorder.find(newIn, SaDirection::Inbound), nullptr);
  EXPECT_NE(a.recorder.find(newIn, SaDirection::Inbound)->encryptionKey, oldKey);
  const auto* peerOut = b.recorder.find(newIn, SaDirection::Outbound);
  ASSERT_NE(peerOut, nullptr);
  EXPECT_EQ(peerOut->encryptionKey, a.recorder.find(newIn, SaDirection::Inbound)->encryptionKey);
  EXPECT_EQ(a.engine.counters().rejected + b.engine.counters().rejected, 0u);
}

TEST_F(EngineTest, ARekeyedInboundSaWaitingForItsDelayGoesWhenTheEngineIsCleared) {
  auto serial = connect();
  const auto oldIn = a.childrenUp[0].inboundSpi;
  ASSERT_TRUE(a.engine.rekeyChildSa(serial, oldIn));
  network.settle();
  ASSERT_NE(a.recorder.find(oldIn, SaDirection::Inbound), nullptr);
  a.engine.clear();
  EXPECT_TRUE(a.recorder.installed.empty());
  network.advance(IkeEngine::kRekeyedInboundDelay);  // its timer was stopped: nothing fires
  EXPECT_TRUE(a.recorder.installed.empty());
}

TEST_F(EngineTest, ARetiredChildSaStopsSendingAtOnceAndReceivesUntilTheDeleteIsAnswered) {
  // After a rekey the old CHILD SA is deleted (RFC 7296 §2.8). The peer drops its inbound
  // side when our DELETE arrives, so we must not send on the old SA after the DELETE; what the
  // peer sent before its answer must still be opened.
  auto serial = connect();
  const auto oldIn = a.childrenUp[0].inboundSpi;
  const auto oldOut = a.childrenUp[0].outboundSpi;
  network.filter = [&](const Datagram& datagram) {
    return a.childrenUp.size() >= 2 && datagram.from.address == b.endpoint.address ? Fate::Hold
                                                                                   : Fate::Deliver;
  };
  ASSERT_TRUE(a.engine.rekeyChildSa(serial, oldIn));
  network.settle();
  ASSERT_EQ(a.childrenUp.size(), 2u);
  EXPECT_EQ(a.recorder.find(oldOut, SaDirection::Outbound), nullptr) << "still sending on the retired SA";
  EXPECT_NE(a.recorder.find(oldIn, SaDirection::Inbound), nullptr)
      << "the retired SA stopped receiving early";
  network.filter = nullptr;
  network.releaseHeld(false);
  // The DELETE is answered: the old inbound SA goes after kRekeyedInboundDelay.
  EXPECT_NE(a.recorder.find(oldIn, SaDirection::Inbound), nullptr);
  network.advance(IkeEngine::kRekeyedInboundDelay);
  EXPECT_EQ(a.recorder.find(oldIn, SaDirection::Inbound), nullptr);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_FALSE(a.host.logged("removing outbound SA"));
}

// The responder of a CHILD SA rekey keeps sending on the old SA until the initiator deletes it:
// the initiator installs the new pair only when the answer arrives, and what was sent on the
// new SA before that would be dropped.
class HeldOutboundTest : public EngineTest {
 protected:
  /// a rekeys its CHILD SA; its DELETE of the old one is held. Fills the SPIs b sends with.
  void rekeyHoldingTheDelete() {
    auto serial = connect();
    bOldOut = b.childrenUp[0].outboundSpi;
    network.filter = [&](const Datagram& datagram) {
      return a.childrenUp.size() >= 2 && datagram.from.address == a.endpoint.address ? Fate::Hold
                                                                                     : Fate::Deliver;
    };
    ASSERT_TRUE(a.engine.rekeyChildSa(serial, a.childrenUp[0].inboundSpi));
    network.settle();
    ASSERT_EQ(b.childrenUp.size(), 2u);
    ASSERT_FALSE(network.held.empty()) << "a's DELETE of the old CHILD SA";
    bNewIn = b.childrenUp[1].inboundSpi;
    bNewOut = b.childrenUp[1].outboundSpi;
  }
  void releaseTheDelete() {
    network.filter = nullptr;
    network.releaseHeld(false);
    EXPECT_EQ(b.recorder.find(bOldOut, SaDirection::Outbound), nullptr);
    network.advance(IkeEngine::kRekeyedInboundDelay);
    EXPECT_EQ(b.recorder.installed.size(), 2u);
    EXPECT_FALSE(b.host.logged("removing outbound SA"));
  }
  std::uint32_t bOldOut = 0, bNewIn = 0, bNewOut = 0;
};

TEST_F(HeldOutboundTest, TheResponderSendsOnTheOldSaUntilThePeerDeletesIt) {
  rekeyHoldingTheDelete();
  EXPECT_NE(b.recorder.find(bNewIn, SaDirection::Inbound), nullptr) << "the new SA must receive at once";
  EXPECT_EQ(b.recorder.find(bNewOut, SaDirection::Outbound), nullptr) << "sending on the new SA too early";
  EXPECT_NE(b.recorder.find(bOldOut, SaDirection::Outbound), nullptr);
  releaseTheDelete();
  ASSERT_NE(b.recorder.find(bNewOut, SaDirection::Outbound), nullptr);
  EXPECT_EQ(b.recorder.find(bNewOut, SaDirection::Outbound)->encryptionKey,
            a.recorder.find(bNewOut, SaDirection::Inbound)->encryptionKey);
}

TEST_F(HeldOutboundTest, WithoutTheDeleteTheNewOutboundSaGoesInAfterTheDelay) {
  rekeyHoldingTheDelete();
  network.advance(IkeEngine::kHeldOutboundDelay - 1ms);
  EXPECT_EQ(b.recorder.find(bNewOut, SaDirection::Outbound), nullptr);
  network.advance(2ms);
  EXPECT_NE(b.recorder.find(bNewOut, SaDirection::Outbound), nullptr);
  EXPECT_NE(b.recorder.find(bOldOut, SaDirection::Outbound), nullptr) << "removed only by the DELETE";
  releaseTheDelete();
}

TEST_F(EngineTest, ChildRekeyWithoutPfsAlsoWorks) {
  a.connection.pfs = false;
  auto serial = connect();
  ASSERT_TRUE(a.engine.rekeyChildSa(serial, a.childrenUp[0].inboundSpi));
  network.settle();
  EXPECT_EQ(b.childrenUp.size(), 2u);
  network.advance(IkeEngine::kRekeyedInboundDelay);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
}

TEST_F(EngineTest, SoftExpiryFromTheDataplaneRekeysTheChildSa) {
  connect();
  ASSERT_EQ(a.childrenUp.size(), 1u);
  a.engine.saExpired({a.childrenUp[0].inboundSpi, a.endpoint.address}, false);
  network.settle();
  EXPECT_EQ(a.childrenUp.size(), 2u);
  network.advance(IkeEngine::kRekeyedInboundDelay);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
}

TEST_F(EngineTest, NoDiffieHellmanPrivateKeyOutlivesTheKeysItServed) {
  // RFC 7296 §2.12: forward secrecy needs the DH private keys gone once the keys are derived.
  auto serial = connect();
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_EQ(ike::KeyExchange::liveCount(), 0u) << "after IKE_SA_INIT and IKE_AUTH";
  ASSERT_TRUE(a.engine.rekeyChildSa(serial, a.childrenUp.at(0).inboundSpi));  // pfs=yes
  network.settle();
  ASSERT_EQ(a.childrenUp.size(), 2u);
  EXPECT_EQ(ike::KeyExchange::liveCount(), 0u) << "after a CHILD SA rekey with PFS";
  ASSERT_TRUE(a.engine.rekeyIkeSa(serial));
  network.settle();
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  EXPECT_EQ(ike::KeyExchange::liveCount(), 0u) << "after an IKE SA rekey";
}

TEST_F(EngineTest, IkeRekeyMovesTheChildSasToTheNewIkeSa) {
  auto serial = connect();
  const auto oldSpi = a.established[0].initiatorSpi;
  ASSERT_TRUE(a.engine.rekeyIkeSa(serial));
  network.settle();
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  ASSERT_EQ(b.engine.ikeSas().size(), 1u);
  const auto newSa = a.engine.ikeSas()[0];
  EXPECT_NE(newSa.serial, serial);
  EXPECT_NE(newSa.initiatorSpi, oldSpi);
  EXPECT_EQ(newSa.initiatorSpi, b.engine.ikeSas()[0].initiatorSpi);
  EXPECT_EQ(newSa.responderSpi, b.engine.ikeSas()[0].responderSpi);
  // The CHILD SAs survived untouched and now belong to the new IKE SA.
  EXPECT_EQ(a.recorder.deleted, 0u);
  EXPECT_EQ(b.recorder.deleted, 0u);
  ASSERT_EQ(a.engine.childSas().size(), 1u);
  EXPECT_EQ(a.engine.childSas()[0].ikeSa, newSa.serial);
  // The new IKE SA's keys work: delete the CHILD SA through it.
  ASSERT_TRUE(a.engine.deleteChildSa(newSa.serial, a.engine.childSas()[0].inboundSpi));
  network.settle();
  EXPECT_TRUE(b.recorder.installed.empty());
  EXPECT_EQ(a.engine.counters().rejected + b.engine.counters().rejected, 0u);
}

TEST_F(EngineTest, ResponderCanRekeyTheIkeSaToo) {
  connect();
  ASSERT_TRUE(b.engine.rekeyIkeSa(b.established[0].serial));
  network.settle();
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  ASSERT_EQ(b.engine.ikeSas().size(), 1u);
  EXPECT_EQ(a.engine.ikeSas()[0].initiatorSpi, b.engine.ikeSas()[0].initiatorSpi);
  EXPECT_TRUE(a.engine.ikeSas()[0].established);
  ASSERT_TRUE(a.engine.checkLiveness(a.engine.ikeSas()[0].serial));
  network.settle();
  EXPECT_EQ(a.engine.counters().rejected + b.engine.counters().rejected, 0u);
}

TEST_F(EngineTest, TamperedProtectedMessageIsRejectedAndCounted) {
  auto serial = connect();
  network.filter = [&](const Datagram& d) {
    if (!d.is(ExchangeType::Informational, false)) return Fate::Deliver;
    auto bytes = d.bytes;
    bytes.back() ^= 0x01;  // flip one ICV bit
    b.engine.receive(bytes, d.from, d.to);
    return Fate::Drop;
  };
  ASSERT_TRUE(a.engine.checkLiveness(serial));
  network.settle();
  EXPECT_EQ(b.engine.counters().rejectedByField.at("SK payload"), 1u);
  EXPECT_TRUE(b.host.logged("rejected: SK payload"));
}

}  // namespace
}  // namespace ikemesh::testkit

namespace ikemesh::testkit {
namespace {

TEST_F(EngineTest, SimultaneousChildRekeyLeavesExactlyOneNewPair) {
  auto serial = connect();
  ASSERT_EQ(a.childrenUp.size(), 1u);
  ASSERT_TRUE(a.engine.rekeyChildSa(serial, a.childrenUp[0].inboundSpi));
  ASSERT_TRUE(b.engine.rekeyChildSa(b.established[0].serial, b.childrenUp[0].inboundSpi));
  network.settle();
  // Both exchanges completed (four new SAs per side), then one side deleted its redundant
  // pair and both deleted the old one (RFC 7296 §2.8.1).
  EXPECT_EQ(a.childrenUp.size(), 3u);
  ASSERT_EQ(a.engine.childSas().size(), 1u);
  ASSERT_EQ(b.engine.childSas().size(), 1u);
  EXPECT_EQ(a.engine.childSas()[0].inboundSpi, b.engine.childSas()[0].outboundSpi);
  EXPECT_EQ(a.engine.childSas()[0].outboundSpi, b.engine.childSas()[0].inboundSpi);
  network.advance(IkeEngine::kRekeyedInboundDelay);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_TRUE(a.host.logged("RFC 7296 §2.8.1") || b.host.logged("RFC 7296 §2.8.1"));
}

}  // namespace
}  // namespace ikemesh::testkit

namespace ikemesh::testkit {
namespace {

TEST_F(EngineTest, InitiatorRekeysTheIkeSaBeforeIkeLifetimeEnds) {
  a.connection.ikeLifetime = std::chrono::seconds(100);
  a.connection.rekeyMargin = std::chrono::seconds(10);
  a.connection.rekeyFuzzPercent = 0;
  auto serial = connect();
  network.advance(std::chrono::seconds(89));
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  EXPECT_EQ(a.engine.ikeSas()[0].serial, serial);
  network.advance(std::chrono::seconds(1));
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  EXPECT_NE(a.engine.ikeSas()[0].serial, serial);
  EXPECT_EQ(b.engine.ikeSas().size(), 1u);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
}

}  // namespace
}  // namespace ikemesh::testkit

namespace ikemesh::testkit {
namespace {

TEST_F(EngineTest, SimultaneousIkeRekeyLeavesOneIkeSaHoldingTheChildSas) {
  auto serial = connect();
  ASSERT_TRUE(a.engine.rekeyIkeSa(serial));
  ASSERT_TRUE(b.engine.rekeyIkeSa(b.established[0].serial));
  network.settle();
  network.advance(std::chrono::seconds(2));
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  ASSERT_EQ(b.engine.ikeSas().size(), 1u);
  EXPECT_EQ(a.engine.ikeSas()[0].initiatorSpi, b.engine.ikeSas()[0].initiatorSpi);
  EXPECT_EQ(a.engine.ikeSas()[0].responderSpi, b.engine.ikeSas()[0].responderSpi);
  EXPECT_EQ(a.recorder.deleted, 0u);
  EXPECT_EQ(b.recorder.deleted, 0u);
  ASSERT_EQ(a.engine.childSas().size(), 1u);
  ASSERT_EQ(b.engine.childSas().size(), 1u);
  EXPECT_EQ(a.engine.childSas()[0].ikeSa, a.engine.ikeSas()[0].serial);
  // The surviving IKE SA works: delete the CHILD SA through it from b.
  ASSERT_TRUE(b.engine.deleteChildSa(b.engine.ikeSas()[0].serial, b.engine.childSas()[0].inboundSpi));
  network.settle();
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_TRUE(b.recorder.installed.empty());
}

}  // namespace
}  // namespace ikemesh::testkit
