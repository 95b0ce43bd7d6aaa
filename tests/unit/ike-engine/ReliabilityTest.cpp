// SPDX-License-Identifier: GPL-2.0-or-later
// Lost, duplicated, delayed and reordered datagrams (RFC 7296 §2.1, RFC 7383), cookies (§2.6)
// and crossing initiations.
#include "EngineHarness.hpp"

namespace ikemesh::testkit {
namespace {

using namespace std::chrono_literals;
using ike::ExchangeType;

TEST_F(EngineTest, DroppedIkeAuthRequestIsRetransmittedAfterTheInterval) {
  int dropped = 0;
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeAuth, false) && dropped++ == 0 ? Fate::Drop : Fate::Deliver;
  };
  connect();
  EXPECT_TRUE(a.established.empty());
  network.advance(499ms);
  EXPECT_TRUE(a.established.empty()) << "retransmitted before retransmit-interval";
  network.advance(1ms);
  EXPECT_EQ(a.engine.counters().retransmissions, 1u);
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
}

TEST_F(EngineTest, DroppedIkeSaInitResponseIsAnsweredFromTheCache) {
  int dropped = 0;
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeSaInit, true) && dropped++ == 0 ? Fate::Drop : Fate::Deliver;
  };
  connect();
  network.advance(500ms);
  EXPECT_EQ(b.engine.counters().responsesFromCache, 1u);
  EXPECT_EQ(b.engine.ikeSas().size(), 1u) << "the retransmitted IKE_SA_INIT made a second IKE SA";
  ASSERT_EQ(a.established.size(), 1u);
}

TEST_F(EngineTest, DuplicatedRequestIsAnsweredFromTheCacheWithoutSecondChildSa) {
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeAuth, false) ? Fate::Duplicate : Fate::Deliver;
  };
  connect();
  EXPECT_EQ(b.engine.counters().responsesFromCache, 1u);
  EXPECT_EQ(b.recorder.added, 2u);
  EXPECT_EQ(b.childrenUp.size(), 1u);
  // The second (cached) response reaches a after the first one: a drops it as unexpected.
  EXPECT_EQ(a.engine.counters().rejectedByField.at("message ID"), 1u);
  EXPECT_EQ(a.established.size(), 1u);
}

TEST_F(EngineTest, InitiatorGivesUpAtRetransmitTimeoutWithBackoff) {
  a.connection.retransmitInterval = 500ms;
  a.connection.retransmitTimeout = 60s;
  network.filter = [&](const Datagram& d) { return d.to == b.endpoint ? Fate::Drop : Fate::Deliver; };
  connect();
  network.advance(59999ms);
  EXPECT_TRUE(a.failures.empty());
  // 0.5 + 1 + 2 + 4 + 8 + 16 s: six retransmissions before 60 s (RFC 7296 §2.1 backoff).
  EXPECT_EQ(a.engine.counters().retransmissions, 6u);
  network.advance(1ms);
  ASSERT_EQ(a.failures.size(), 1u);
  EXPECT_NE(a.failures[0].find("retransmit-timeout"), std::string::npos) << a.failures[0];
  EXPECT_TRUE(a.engine.ikeSas().empty());
  EXPECT_EQ(network.dropped, 7u);
}

TEST_F(EngineTest, ResponderForgetsAHalfOpenSaWhoseInitiatorVanished) {
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeAuth, false) ? Fate::Drop : Fate::Deliver;
  };
  connect();
  EXPECT_EQ(b.engine.ikeSas().size(), 1u);
  network.advance(60s);
  EXPECT_TRUE(b.engine.ikeSas().empty());
  EXPECT_TRUE(b.established.empty());
}

TEST_F(EngineTest, ReorderedAndDelayedDatagramsStillEstablish) {
  // Hold a's IKE_AUTH request, let the retransmission go first, then deliver the original.
  int held = 0;
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeAuth, false) && held++ == 0 ? Fate::Hold : Fate::Deliver;
  };
  connect();
  network.advance(500ms);
  ASSERT_EQ(a.established.size(), 1u);
  network.releaseHeld(false);
  EXPECT_EQ(b.engine.counters().responsesFromCache, 1u);
  EXPECT_EQ(b.childrenUp.size(), 1u);
}

class CookieTest : public EngineTest {
 protected:
  CookieTest() : EngineTest({}, ike::EngineSettings{0, 1280, 32}) {}
};

TEST_F(CookieTest, ResponderUnderLoadDemandsACookieAndTheInitiatorHonoursIt) {
  connect();
  EXPECT_EQ(b.engine.counters().cookiesDemanded, 1u);
  EXPECT_EQ(a.engine.counters().cookiesHonoured, 1u);
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
}

TEST_F(CookieTest, RequestWithAForgedCookieGetsNoState) {
  // An attacker that does not see b's answers cannot know the cookie: every request it sends
  // (here: a's, with the cookie notify stripped by dropping b's COOKIE answers) gets no state.
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeSaInit, true) ? Fate::Drop : Fate::Deliver;
  };
  connect();
  network.advance(2s);
  EXPECT_GE(b.engine.counters().cookiesDemanded, 2u);
  EXPECT_TRUE(b.engine.ikeSas().empty());
}

class CookieRaceTest : public EngineTest {
 protected:
  CookieRaceTest() : EngineTest({}, ike::EngineSettings{1, 1280, 32}) {}
};

TEST_F(CookieRaceTest, ALateCopyOfTheRequestWithoutCookieMakesNoState) {
  // b demands a cookie for a's second IKE SA while the first is half-open; the load drops; then
  // a late copy of a's first request (no cookie) arrives before the one with the cookie. State
  // made from that copy would fail a's AUTH, which signs the request with the cookie.
  int initRequests = 0;
  std::optional<Datagram> late;
  network.filter = [&](const Datagram& d) {
    if (d.is(ExchangeType::IkeAuth, false) && a.established.empty())
      return Fate::Hold;  // SA 1 stays half-open
    if (!d.is(ExchangeType::IkeSaInit, false)) return Fate::Deliver;
    ++initRequests;
    if (initRequests == 2) late = d;  // SA 2's first request: delivered, and a copy kept
    return initRequests == 3 ? Fate::Hold : Fate::Deliver;  // SA 2's request with the cookie
  };
  ASSERT_TRUE(a.engine.initiate(a.connection, a.endpoint, b.endpoint));
  network.settle();
  auto second = a.connection;  // another conn: initiate() reuses an IKE SA of the same one
  second.name = "second";
  ASSERT_TRUE(a.engine.initiate(second, a.endpoint, b.endpoint));
  network.settle();
  ASSERT_EQ(initRequests, 3);
  ASSERT_TRUE(late);
  ASSERT_EQ(network.held.size(), 2u);  // SA 1's IKE_AUTH, SA 2's request with the cookie
  EXPECT_EQ(b.engine.counters().cookiesDemanded, 1u);
  network.held.insert(network.held.begin() + 1, *late);
  network.filter = nullptr;
  network.releaseHeld(false);  // SA 1 established (no half-open left), the late copy, the cookie
  network.advance(2s);
  EXPECT_EQ(a.established.size(), 2u);
  EXPECT_EQ(b.established.size(), 2u);
  EXPECT_FALSE(a.host.logged("AUTHENTICATION_FAILED")) << "AUTH signed another first message";
  EXPECT_FALSE(b.host.logged("does not match"));
  EXPECT_EQ(b.engine.counters().cookiesDemanded, 2u) << "the late copy is asked for the cookie again";
}

TEST_F(EngineTest, CrossingInitiationsEndWithOneIkeSaAndOneChildSaPair) {
  b.connection = a.connection;
  ASSERT_TRUE(a.engine.initiate(a.connection, a.endpoint, b.endpoint));
  ASSERT_TRUE(b.engine.initiate(b.connection, b.endpoint, a.endpoint));
  network.settle();
  network.advance(2s);
  ASSERT_EQ(a.engine.ikeSas().size(), 1u);
  ASSERT_EQ(b.engine.ikeSas().size(), 1u);
  EXPECT_EQ(a.establishedIkeSas(), 1u);
  EXPECT_EQ(a.engine.ikeSas()[0].initiatorSpi, b.engine.ikeSas()[0].initiatorSpi);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_TRUE(a.failures.empty());
  EXPECT_TRUE(b.failures.empty());
}

class FragmentationTest : public EngineTest {
 protected:
  // Small enough that IKE_AUTH (about 300 octets with NULL auth) needs several fragments.
  FragmentationTest() : EngineTest(ike::EngineSettings{32, 120, 32}, ike::EngineSettings{32, 120, 32}) {}
};

TEST_F(FragmentationTest, LargeIkeAuthIsFragmentedAndReassembledOutOfOrder) {
  network.filter = [&](const Datagram& d) {
    return d.is(ExchangeType::IkeAuth, false) ? Fate::Hold : Fate::Deliver;
  };
  connect();
  ASSERT_GE(network.held.size(), 3u);
  const auto fragments = network.held.size();
  network.filter = nullptr;
  network.releaseHeld(true);  // last fragment first
  EXPECT_EQ(a.engine.counters().fragmentsSent, fragments);
  EXPECT_EQ(b.engine.counters().fragmentsReceived, fragments);
  EXPECT_GT(b.engine.counters().fragmentsSent, 1u) << "the IKE_AUTH response is fragmented too";
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
}

TEST_F(FragmentationTest, PeerWithoutFragmentationSupportGetsWholeMessages) {
  b.connection.fragmentation = false;
  connect();
  EXPECT_EQ(a.engine.counters().fragmentsSent, 0u);
  ASSERT_EQ(a.established.size(), 1u);
}

}  // namespace
}  // namespace ikemesh::testkit
