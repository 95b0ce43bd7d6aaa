// SPDX-License-Identifier: GPL-2.0-or-later
// Hostile peers against the responder (b): replayed IKE_AUTH requests, altered copies of the
// request last answered, garbage INFORMATIONAL requests with a valid IKE SA's SPIs, and an
// authenticated peer that sends INFORMATIONAL requests without end. Each is refused or answered
// a bounded number of times, logged at a bounded rate, and installs nothing.
#include <algorithm>

#include "EngineHarness.hpp"

namespace ikemesh::testkit {
namespace {

using namespace std::chrono_literals;
using ike::ExchangeType;

class HostilePeerTest : public EngineTest {
 protected:
  /// Records every IKE_AUTH request a sends and every datagram b sends, delivering all.
  void record() {
    network.filter = [this](const Datagram& d) {
      if (d.is(ExchangeType::IkeAuth, false)) authRequests.push_back(d.bytes);
      if (d.from.address == b.endpoint.address) ++sentByB;
      return Fate::Deliver;
    };
  }

  /// `copies` copies of `datagram` reach b from a's address and `port`.
  void inject(const std::vector<std::uint8_t>& datagram, std::size_t copies, std::uint16_t port = 500) {
    const Endpoint from{a.endpoint.address, port};
    for (std::size_t i = 0; i < copies; ++i) b.engine.receive(datagram, from, b.endpoint);
    network.settle();
  }

  std::uint64_t rejectedBy(const std::string& field) const {
    const auto& byField = b.engine.counters().rejectedByField;
    auto it = byField.find(field);
    return it == byField.end() ? 0 : it->second;
  }

  std::size_t bLinesWith(const std::string& text) const {
    const auto lines = b.host.lines();
    return static_cast<std::size_t>(std::count_if(
        lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; }));
  }

  /// An INFORMATIONAL request on b's IKE SA `sa` with message ID `messageId` whose SK payload
  /// is `garbage` octets of noise: what an attacker who saw the SPIs on the wire can send.
  static std::vector<std::uint8_t> forgedInformational(const ike::IkeSaInfo& sa, std::uint32_t messageId,
                                                       std::size_t garbage, std::uint8_t seed) {
    std::vector<std::uint8_t> m;
    auto put = [&](std::uint64_t value, int octets) {
      for (int i = octets - 1; i >= 0; --i) m.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    };
    put(sa.initiatorSpi, 8);
    put(sa.responderSpi, 8);
    m.push_back(46);    // next payload: SK (RFC 7296 §3.14)
    m.push_back(0x20);  // version 2.0
    m.push_back(37);    // INFORMATIONAL
    m.push_back(0x08);  // the initiator's request
    put(messageId, 4);
    put(28 + 4 + garbage, 4);
    m.push_back(0);  // first inner payload: none
    m.push_back(0);
    put(4 + garbage, 2);
    for (std::size_t i = 0; i < garbage; ++i) m.push_back(static_cast<std::uint8_t>(seed * 31 + i * 7));
    return m;
  }

  std::vector<std::vector<std::uint8_t>> authRequests;
  std::size_t sentByB = 0;
};

TEST_F(HostilePeerTest, ReplayedIkeAuthIsAnsweredFromTheCacheAtMostSixteenTimesAndInstallsNothing) {
  record();
  connect();
  ASSERT_EQ(authRequests.size(), 1u);
  ASSERT_EQ(b.recorder.installed.size(), 2u);
  const auto sentBefore = sentByB;
  inject(authRequests[0], 50);
  inject(authRequests[0], 50, 4500);  // from another source port too
  EXPECT_EQ(sentByB - sentBefore, IkeEngine::kMaxResponseResends);
  EXPECT_EQ(b.engine.counters().responsesFromCache, IkeEngine::kMaxResponseResends);
  EXPECT_EQ(rejectedBy("message ID"), 100u - IkeEngine::kMaxResponseResends);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_EQ(b.engine.ikeSas().size(), 1u);
  EXPECT_EQ(b.engine.counters().ikeSasEstablished, 1u);
  // The first ten refusals, then the 16th, 32nd and 64th: a replay flood costs a few lines.
  EXPECT_EQ(bLinesWith("a replay, not answered"), 10u + 3u);
  EXPECT_TRUE(
      b.host.logged("message from 192.0.2.1:500 rejected: message ID: request 1 of IKE SA #1 already"));
}

TEST_F(HostilePeerTest, AlteredCopyOfTheLastRequestGetsNoAnswer) {
  record();
  connect();
  ASSERT_EQ(authRequests.size(), 1u);
  auto altered = authRequests[0];
  altered.back() ^= 0x01;  // the ICV: a retransmission must be bitwise identical (RFC 7296 §2.1)
  const auto sentBefore = sentByB;
  inject(altered, 1);
  EXPECT_EQ(sentByB, sentBefore);
  EXPECT_EQ(b.engine.counters().responsesFromCache, 0u);
  EXPECT_EQ(rejectedBy("message ID"), 1u);
  EXPECT_TRUE(b.host.logged("is not a copy of the request answered with that ID; not answered"));
}

TEST_F(HostilePeerTest, ReplayedIkeAuthAfterALaterExchangeIsRefusedByItsMessageId) {
  record();
  const auto serial = connect();
  ASSERT_TRUE(a.engine.checkLiveness(serial));
  network.settle();
  const auto sentBefore = sentByB;
  inject(authRequests.at(0), 20);
  EXPECT_EQ(sentByB, sentBefore);
  EXPECT_EQ(rejectedBy("message ID"), 20u);
  EXPECT_TRUE(b.host.logged("rejected: message ID: request 1, expected 3"));
  EXPECT_EQ(b.recorder.installed.size(), 2u);
}

TEST_F(HostilePeerTest, IkeAuthReplayedIntoANewHalfOpenSaFailsItsIntegrityCheck) {
  record();
  const auto first = connect();
  const auto old = authRequests.at(0);
  ASSERT_TRUE(a.engine.deleteIkeSa(first));
  network.settle();
  ASSERT_TRUE(b.engine.ikeSas().empty());
  // The next handshake stops before IKE_AUTH: b holds a half-open IKE SA.
  network.filter = [](const Datagram& d) {
    return d.is(ExchangeType::IkeAuth, false) ? Fate::Hold : Fate::Deliver;
  };
  connect();
  ASSERT_EQ(b.engine.ikeSas().size(), 1u);
  const auto halfOpen = b.engine.ikeSas()[0];
  ASSERT_FALSE(halfOpen.established);
  auto replay = old;
  for (int i = 0; i < 8; ++i) {
    replay[i] = static_cast<std::uint8_t>(halfOpen.initiatorSpi >> (56 - 8 * i));
    replay[8 + i] = static_cast<std::uint8_t>(halfOpen.responderSpi >> (56 - 8 * i));
  }
  inject(replay, 5);
  EXPECT_EQ(rejectedBy("SK payload"), 5u);
  EXPECT_FALSE(b.engine.ikeSas()[0].established);
  EXPECT_EQ(b.established.size(), 1u) << "only the first IKE SA";
  // The genuine IKE_AUTH still completes the half-open SA.
  network.filter = nullptr;
  network.releaseHeld(false);
  EXPECT_EQ(b.established.size(), 2u);
  EXPECT_EQ(b.recorder.installed.size(), 2u) << "the second handshake's pair (the first was deleted)";
}

TEST_F(HostilePeerTest, GarbageInformationalFloodWithValidSpisIsRefusedAndTheSaGoesOn) {
  record();
  const auto serial = connect();
  const auto sa = b.engine.ikeSas().at(0);
  const auto sentBefore = sentByB;
  const auto linesBefore = b.host.lines().size();
  constexpr std::size_t kFlood = 30000;
  for (std::size_t i = 0; i < kFlood; ++i) {
    // The expected ID (reaches the integrity check), the last answered one, and others.
    const std::uint32_t messageId = i % 3 == 0 ? 2 : i % 3 == 1 ? 1 : static_cast<std::uint32_t>(i + 10);
    b.engine.receive(forgedInformational(sa, messageId, 16 + i % 64, static_cast<std::uint8_t>(i)),
                     a.endpoint, b.endpoint);
  }
  network.settle();
  EXPECT_EQ(sentByB, sentBefore) << "b answered forged requests";
  EXPECT_EQ(b.engine.counters().rejected, kFlood);
  EXPECT_EQ(rejectedBy("SK payload"), kFlood / 3);
  EXPECT_EQ(rejectedBy("message ID"), kFlood - kFlood / 3);
  // Per field: the first ten, then each power of two (14 of them up to 20,000).
  EXPECT_LE(b.host.lines().size() - linesBefore, 2u * (10 + 15));
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_EQ(b.recorder.deleted, 0u);
  // The IKE SA still works: a's liveness check is answered.
  ASSERT_TRUE(a.engine.checkLiveness(serial));
  network.settle();
  EXPECT_EQ(sentByB, sentBefore + 1);
  EXPECT_EQ(b.establishedIkeSas(), 1u);
}

TEST_F(HostilePeerTest, AuthenticatedInformationalFloodIsAnsweredOneAtATimeWithoutLogLines) {
  record();
  const auto serial = connect();
  const auto sentBefore = sentByB;
  std::size_t warningsBefore = bLinesWith(" warning: ") + bLinesWith(" info: ");
  constexpr std::size_t kFlood = 2000;
  for (std::size_t i = 0; i < kFlood; ++i) ASSERT_TRUE(a.engine.checkLiveness(serial));
  network.settle();
  // RFC 7296 §2.3: a window of one; each request waits for the previous answer.
  EXPECT_EQ(sentByB - sentBefore, kFlood);
  EXPECT_EQ(bLinesWith(" warning: ") + bLinesWith(" info: "), warningsBefore);
  EXPECT_EQ(b.engine.counters().rejected, 0u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_EQ(b.establishedIkeSas(), 1u);
}

}  // namespace
}  // namespace ikemesh::testkit
