// SPDX-License-Identifier: GPL-2.0-or-later
#include <QJsonArray>
#include <QJsonObject>

#include <gtest/gtest.h>

#include "ConnOutcome.hpp"

namespace ikemesh::cli {
namespace {

// What the daemon's connstatus answers for an established site-to-site conn.
QJsonObject established() {
  return QJsonObject{{"conn", "s2s"},
                     {"where", "/etc/ikemesh/ipsec.conf:4"},
                     {"auto", "start"},
                     {"peer", "192.0.2.2"},
                     {"leftsubnets", QJsonArray{"198.51.100.0/24"}},
                     {"rightsubnets", QJsonArray{"203.0.113.0/24"}},
                     {"loaded", true},
                     {"routed", false},
                     {"phase", "established"},
                     {"attempt", 2},
                     {"outcomeAttempt", 2},
                     {"ikeSas", 1},
                     {"ikeSa", 3},
                     {"childSa", 4},
                     {"selectors", "198.51.100.0/24 === 203.0.113.0/24"}};
}

TEST(ConnOutcome, UpEstablished) {
  auto status = established();
  EXPECT_TRUE(outcomeReached("up", status, 2));
  EXPECT_TRUE(outcomeSucceeded("up", status));
  EXPECT_EQ(outcomeLine("up", status),
            "up: \"s2s\" established, IKE SA #3, CHILD SA #4 (198.51.100.0/24 === 203.0.113.0/24)");
}

TEST(ConnOutcome, UpWaitsForItsOwnAttempt) {
  auto status = established();
  // The outcome of an earlier attempt is not this `up`'s.
  EXPECT_FALSE(outcomeReached("up", status, 3));
  status["phase"] = "negotiating";
  status["outcomeAttempt"] = 3;
  EXPECT_FALSE(outcomeReached("up", status, 3));
}

TEST(ConnOutcome, UpFailedSaysWhy) {
  auto status = established();
  status["phase"] = "failed";
  status["reason"] = "the responder answered AUTHENTICATION_FAILED";
  status.remove("childSa");
  EXPECT_TRUE(outcomeReached("up", status, 2));
  EXPECT_FALSE(outcomeSucceeded("up", status));
  EXPECT_EQ(outcomeLine("up", status), "up: \"s2s\" failed: the responder answered AUTHENTICATION_FAILED");
}

TEST(ConnOutcome, UpTimedOut) {
  auto status = established();
  status["phase"] = "negotiating";
  EXPECT_EQ(outcomeLine("up", status, true),
            "up: \"s2s\" still negotiating (IKE SA #3); the daemon goes on (ikemesh connstatus s2s)");
}

TEST(ConnOutcome, DownWaitsUntilNoIkeSaIsLeft) {
  auto status = established();
  status["deleted"] = QJsonArray{3};
  EXPECT_FALSE(outcomeReached("down", status, 0));
  status["ikeSas"] = 0;
  status["phase"] = "down";
  EXPECT_TRUE(outcomeReached("down", status, 0));
  EXPECT_TRUE(outcomeSucceeded("down", status));
  EXPECT_EQ(outcomeLine("down", status), "down: \"s2s\" is down, IKE SA #3 deleted on both sides");
  status["deleted"] = QJsonArray{};
  EXPECT_EQ(outcomeLine("down", status), "down: \"s2s\" is down, it had no IKE SA");
}

TEST(ConnOutcome, RouteAddDelete) {
  auto status = established();
  status["routed"] = true;
  EXPECT_TRUE(outcomeSucceeded("ondemand", status));
  EXPECT_EQ(outcomeLine("ondemand", status),
            "ondemand: \"s2s\" trap installed for 198.51.100.0/24 -> 203.0.113.0/24; the first packet brings "
            "it up");
  status["leftsubnets"] = QJsonArray{};
  EXPECT_EQ(
      outcomeLine("ondemand", status),
      "ondemand: \"s2s\" trap installed for this host -> 203.0.113.0/24; the first packet brings it up");
  EXPECT_FALSE(outcomeSucceeded("unroute", status));
  EXPECT_EQ(outcomeLine("add", status),
            "add: \"s2s\" loaded from /etc/ikemesh/ipsec.conf:4 (auto=start, right=192.0.2.2)");
  status["deleted"] = QJsonArray{3, 5};
  status["loaded"] = false;
  EXPECT_FALSE(outcomeReached("delete", status, 0)) << "its IKE SA is still there";
  status["ikeSas"] = 0;
  EXPECT_TRUE(outcomeReached("delete", status, 0));
  EXPECT_TRUE(outcomeSucceeded("delete", status));
  EXPECT_EQ(outcomeLine("delete", status),
            "delete: \"s2s\" deleted, IKE SA #3, #5 deleted; ikemesh add s2s loads it again");
}

TEST(ConnOutcome, AsyncLines) {
  EXPECT_EQ(startedLine("up", QJsonObject{{"conn", "s2s"}, {"ikeSa", 7}, {"attempt", 1}}),
            "up: \"s2s\" initiating, IKE SA #7");
  EXPECT_EQ(startedLine("down", QJsonObject{{"conn", "s2s"}, {"deleted", QJsonArray{7}}}),
            "down: \"s2s\" DELETE sent for IKE SA #7");
  EXPECT_EQ(startedLine("down", QJsonObject{{"conn", "s2s"}, {"deleted", QJsonArray{}}}),
            "down: \"s2s\" had no IKE SA");
}

}  // namespace
}  // namespace ikemesh::cli
