// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "TempFolder.hpp"
#include "policy/ConfigLoader.hpp"

namespace ikemesh::policy {
namespace {

using namespace std::chrono_literals;

const ConfigSchema& schema() {
  static const ConfigSchema standard = ConfigSchema::standard();
  return standard;
}

ConfigResult<Config> load(std::string_view text, const std::string& name = "ipsec.conf") {
  return ConfigLoader(schema(), ParseOptions{.followIncludes = false}).loadText(text, name);
}

std::string firstError(std::string_view text) {
  auto config = load(text);
  if (config) return "(loaded without error)";
  return config.firstError().toString();
}

TEST(ConfigLoader, DefaultAppliesToEveryConnUnlessTheConnSetsTheKey) {
  auto config = load(
      "conn %default\n\tikelifetime=1h\n\tdpddelay=30s\n\n"
      "conn a\n\tikelifetime=2h\n\nconn b\n\tauto=ignore\n");
  ASSERT_TRUE(config) << config.toError().message;
  ASSERT_EQ(config->connections.size(), 2u);  // %default is not a conn
  EXPECT_EQ(config->connections[0].ikeLifetime, 2h);
  EXPECT_EQ(config->connections[0].dpdDelay, 30s);
  EXPECT_EQ(config->connections[1].ikeLifetime, 1h);
}

TEST(ConfigLoader, DefaultWrittenAfterTheConnStillApplies) {
  auto config = load("conn a\n\tauto=ignore\n\nconn %default\n\tdpddelay=10s\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->connections[0].dpdDelay, 10s);
}

TEST(ConfigLoader, AlsoChainOwnSettingsWinThenAlsoTargetsThenDefault) {
  auto config = load(
      "conn %default\n\tikelifetime=1h\n\tdpddelay=1s\n\trekeymargin=1m\n\tshuntlifetime=1m\n\n"
      "conn base\n\tikelifetime=3h\n\tdpddelay=3s\n\trekeymargin=3m\n\n"
      "conn middle\n\talso=base\n\tikelifetime=2h\n\tdpddelay=2s\n\n"
      "conn top\n\talso=middle\n\tikelifetime=4h\n");
  ASSERT_TRUE(config) << config.toError().message;
  const Connection* top = config->find("top");
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->ikeLifetime, 4h);      // its own
  EXPECT_EQ(top->dpdDelay, 2s);         // from middle
  EXPECT_EQ(top->rekeyMargin, 3min);    // from base, through middle
  EXPECT_EQ(top->shuntLifetime, 1min);  // from %default
  EXPECT_FALSE(top->value("also"));     // also= itself is not a setting of the conn
}

TEST(ConfigLoader, EarlierAlsoWinsOverLaterAlso) {
  auto config = load("conn one\n\tdpddelay=1s\nconn two\n\tdpddelay=2s\nconn c\n\talso=one\n\talso=two\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->find("c")->dpdDelay, 1s);
}

TEST(ConfigLoader, SameTargetReachedTwiceIsNotACycle) {
  auto config =
      load("conn d\n\tdpddelay=4s\nconn b\n\talso=d\nconn c\n\talso=d\nconn a\n\talso=b\n\talso=c\n");
  ASSERT_TRUE(config) << config.toError().message;
  EXPECT_EQ(config->find("a")->dpdDelay, 4s);
}

TEST(ConfigLoader, EmptyValueUnsetsAnInheritedKey) {
  auto config = load("conn %default\n\tdataplane=tun\nconn a\n\tdataplane=\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->connections[0].dataplane, DataplaneChoice::Auto);
  EXPECT_FALSE(config->connections[0].value("dataplane"));
}

TEST(ConfigLoader, InactivityIsADurationAndOffByDefault) {
  auto config = load("conn a\n\tinactivity=90\nconn b\n\tinactivity=2m\nconn c\n\tauto=ignore\n");
  ASSERT_TRUE(config) << config.toError().message;
  EXPECT_EQ(config->find("a")->inactivity, 90s);
  EXPECT_EQ(config->find("b")->inactivity, 2min);
  EXPECT_EQ(config->find("c")->inactivity, 0s);
  EXPECT_EQ(firstError("conn a\n\tinactivity=soon\n").substr(0, 47),
            "ipsec.conf:2: bad value 'soon' for inactivity: ");
}

TEST(ConfigLoader, AlsoCycleIsNamed) {
  EXPECT_EQ(firstError("conn a\n\talso=b\n\nconn b\n\talso=a\n"), "ipsec.conf:5: also= cycle: a -> b -> a");
}

TEST(ConfigLoader, AlsoCycleIsReportedOnce) {
  auto config = load("conn a\n\talso=b\n\nconn b\n\talso=a\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.errors().size(), 1u);  // not once more from b's point of view
}

TEST(ConfigLoader, LongerAndSelfCycles) {
  EXPECT_EQ(firstError("conn a\n\talso=a\n"), "ipsec.conf:2: also= cycle: a -> a");
  EXPECT_EQ(firstError("conn x\n\tauto=ignore\nconn a\n\talso=b\nconn b\n\talso=c\nconn c\n\talso=a\n"),
            "ipsec.conf:8: also= cycle: a -> b -> c -> a");
}

TEST(ConfigLoader, AlsoOfAnUnknownConn) {
  EXPECT_EQ(firstError("conn a\n\talso=nothere\n"), "ipsec.conf:2: also=nothere: there is no conn 'nothere'");
  EXPECT_EQ(firstError("conn a\n\talso=%default\n"),
            "ipsec.conf:2: bad value '%default' for also: expected the name of a conn");
}

TEST(ConfigLoader, DuplicateConnNames) {
  EXPECT_EQ(firstError("conn a\n\tauto=ignore\n\nconn a\n\tauto=ignore\n"),
            "ipsec.conf:4: duplicate conn 'a' (first defined at ipsec.conf:1)");
}

TEST(ConfigLoader, DuplicateConnAcrossIncludedFiles) {
  test::TempFolder folder;
  auto second = folder.write("ipsec.d/b.conf", "\nconn private\n\tauto=ignore\n");
  auto first = folder.write("ipsec.d/a.conf", "conn private\n\tauto=ignore\n");
  auto main = folder.write("ipsec.conf", "include ipsec.d/*.conf\n");
  auto config = ConfigLoader(schema()).loadFile(main);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.firstError().toString(),
            second + ":2: duplicate conn 'private' (first defined at " + first + ":1)");
}

TEST(ConfigLoader, KeyTwiceInDefaultOrSetupAcrossSections) {
  EXPECT_EQ(firstError("conn %default\n\tdpddelay=1s\nconn %default\n\tdpddelay=2s\n"),
            "ipsec.conf:4: 'dpddelay' is set twice in conn '%default' (first at ipsec.conf:2)");
  EXPECT_EQ(firstError("config setup\n\tlogfile=/a\nconfig setup\n\tlogfile=/b\n"),
            "ipsec.conf:4: 'logfile' is set twice in config setup (first at ipsec.conf:2)");
}

TEST(ConfigLoader, LoadedConnNeedsLeftAndRight) {
  EXPECT_EQ(firstError("conn a\n\tauto=add\n\tleft=%defaultroute\n"),
            "ipsec.conf:1: conn 'a' has no right= (every conn except auto=ignore needs left= and right=)");
  EXPECT_TRUE(load("conn fragment\n\tikelifetime=1h\n"));  // auto=ignore by default
}

TEST(ConfigLoader, TypedValues) {
  auto config = load(
      "conn a\n"
      "\tauto=route\n"
      "\ttype=transport\n"
      "\tauthby=rsasig,ecdsa\n"
      "\trightauth=null\n"
      "\tleft=192.0.2.1\n"
      "\tright=gw.example.org\n"
      "\tleftsubnet=\"10.0.0.0/8, 2001:db8::/32\"\n"
      "\tfailureshunt=drop\n"
      "\tnegotiationshunt=passthrough\n"
      "\tike=aes_gcm256-sha2_512;dh19\n"
      "\tesp=aes_gcm256\n"
      "\tsalifetime=30m\n"
      "\trekeyfuzz=50%\n"
      "\tretransmit-interval=250\n"
      "\tretransmit-timeout=30\n"
      "\tkeyingtries=%forever\n"
      "\tfragmentation=force\n"
      "\tencapsulation=yes\n"
      "\tpriority=100\n"
      "\tnarrowing=yes\n"
      "\tdataplane=tun\n");
  ASSERT_TRUE(config) << config.toError().message;
  const Connection& c = config->connections[0];
  EXPECT_EQ(c.autoAction, AutoAction::OnDemand);
  EXPECT_EQ(c.type, ConnectionType::Transport);
  EXPECT_EQ(c.authBy, (std::vector<std::string>{"rsasig", "ecdsa"}));
  EXPECT_EQ(c.rightAuth, "null");
  EXPECT_EQ(c.left.kind, Endpoint::Kind::Address);
  EXPECT_EQ(c.left.address, IpAddress::parse("192.0.2.1"));
  EXPECT_EQ(c.right.kind, Endpoint::Kind::Hostname);
  ASSERT_EQ(c.leftSubnets.size(), 2u);
  EXPECT_EQ(c.leftSubnets[1].toString(), "2001:db8::/32");
  EXPECT_EQ(c.failureShunt, Shunt::Drop);
  EXPECT_EQ(c.negotiationShunt, Shunt::Passthrough);
  EXPECT_EQ(c.ikeProposals.at(0).dhGroups, std::vector<std::string>{"dh19"});
  EXPECT_EQ(c.espProposals.at(0).encryption, std::vector<std::string>{"aes_gcm256"});
  EXPECT_EQ(c.ipsecLifetime, 30min);
  EXPECT_EQ(c.rekeyFuzzPercent, 50);
  EXPECT_EQ(c.retransmitInterval, 250ms);
  EXPECT_EQ(c.retransmitTimeout, 30s);
  EXPECT_EQ(c.keyingTries, 0);
  EXPECT_EQ(c.fragmentation, Fragmentation::Force);
  EXPECT_EQ(c.encapsulation, Encapsulation::Yes);
  EXPECT_EQ(c.priority, 100);
  EXPECT_TRUE(c.narrowing);
  EXPECT_EQ(c.dataplane, DataplaneChoice::Tun);
  EXPECT_EQ(c.value("ipsec-lifetime"), "30m");
}

TEST(ConfigLoader, DefaultsWhenKeysAreAbsent) {
  auto config = load("conn a\n\tauto=ignore\n");
  ASSERT_TRUE(config);
  const Connection& c = config->connections[0];
  EXPECT_EQ(c.type, ConnectionType::Tunnel);
  EXPECT_EQ(c.ikeLifetime, 8h);
  EXPECT_EQ(c.retransmitInterval, 500ms);
  EXPECT_EQ(c.negotiationShunt, Shunt::Hold);
  EXPECT_EQ(c.failureShunt, Shunt::None);
  EXPECT_EQ(c.dataplane, DataplaneChoice::Auto);
  EXPECT_EQ(c.where, (SourceLocation{"ipsec.conf", 1}));
}

TEST(ConfigLoader, SetupGivesTheDefaultDataplane) {
  auto config = load(
      "config setup\n\tdataplane=tun\n\tdnssec-enable=no\n\tplutodebug=\"base crypt\"\n"
      "conn a\n\tauto=ignore\nconn b\n\tdataplane=xfrm\n");
  ASSERT_TRUE(config) << config.toError().message;
  EXPECT_EQ(config->setup.dataplane, DataplaneChoice::Tun);
  EXPECT_FALSE(config->setup.dnssecEnable);
  EXPECT_EQ(config->setup.plutoDebug, (std::vector<std::string>{"base", "crypt"}));
  EXPECT_EQ(config->connections[0].dataplane, DataplaneChoice::Tun);
  EXPECT_EQ(config->connections[1].dataplane, DataplaneChoice::Xfrm);
}

TEST(ConfigLoader, ProtostackNetkeyMeansXfrm) {
  auto config = load("config setup\n\tprotostack=netkey\nconn a\n\tauto=ignore\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->connections[0].dataplane, DataplaneChoice::Xfrm);
  EXPECT_EQ(config->connections[0].dataplaneKey, "protostack");
  EXPECT_EQ(config->connections[0].dataplaneValue, "netkey");
}

}  // namespace
}  // namespace ikemesh::policy
