// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "policy/ConfigLoader.hpp"
#include "policy/ExplicitConnectionTable.hpp"

namespace ikemesh::policy {
namespace {

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(IpAddress{});
}

TrafficSelector ts(std::string_view prefix) {
  auto parsed = IpPrefix::parse(prefix);
  EXPECT_TRUE(parsed) << prefix;
  return selectorFor(parsed.value_or(IpPrefix{}));
}

Config load(const std::string& text) {
  static const ConfigSchema schema = ConfigSchema::standard();
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false}).loadText(text, "ipsec.conf");
  EXPECT_TRUE(config) << config.toError().message;
  return std::move(config).value();
}

// A resolver that knows two names, so that no test depends on the host's DNS.
Result<IpAddress> fakeResolver(const std::string& name) {
  if (name == "east.example") return ip("192.0.2.2");
  if (name == "v6.example") return ip("2001:db8::2");
  return fail("cannot resolve '" + name + "': Name or service not known");
}

const auto kAll = [](const ExplicitConnection&) { return true; };

// Two conns to one gateway (a /24 and a /25 inside it), one host-to-host conn, a group conn
// and a shunt conn with a fixed peer (neither is explicit).
constexpr const char* kConfig =
    "conn wide\n\tauto=add\n\tleft=192.0.2.1\n\tright=192.0.2.2\n"
    "\tleftsubnet=198.51.100.0/24\n\trightsubnet=203.0.113.0/24\n"
    "conn narrow\n\tauto=start\n\tleft=192.0.2.1\n\tright=east.example\n"
    "\tleftsubnets=198.51.100.0/24\n\trightsubnets=203.0.113.0/25,10.15.9.0/24\n\tnarrowing=yes\n"
    "conn hosts\n\tauto=ondemand\n\tleft=%defaultroute\n\tright=192.0.2.3\n"
    "conn private\n\tauto=ondemand\n\tleft=%defaultroute\n\tright=%opportunisticgroup\n"
    "conn "
    "bypass\n\tauto=ondemand\n\ttype=passthrough\n\tauthby=never\n\tleft=%defaultroute\n\tright=192.0.2.9\n";

ExplicitConnectionTable table() {
  auto built = ExplicitConnectionTable::build(load(kConfig), fakeResolver);
  EXPECT_TRUE(built) << built.toError().message;
  return std::move(built).value();
}

TEST(ExplicitConnectionTable, TakesConnsWithAFixedPeerOnly) {
  auto t = table();
  ASSERT_EQ(t.connections().size(), 3u);
  EXPECT_EQ(t.connections()[0].name, "wide");
  EXPECT_EQ(t.find("narrow")->peer, ip("192.0.2.2")) << "right=east.example resolved";
  ASSERT_EQ(t.find("narrow")->remoteSubnets.size(), 2u);
  // No subnet: the peer's host address, and ours once the IKE address is known.
  ASSERT_EQ(t.find("hosts")->remoteSubnets.size(), 1u);
  EXPECT_EQ(t.find("hosts")->remoteSubnets[0].toString(), "192.0.2.3/32");
  EXPECT_EQ(t.find("hosts")->localSubnetsFor(ip("192.0.2.1"))[0].toString(), "192.0.2.1/32");
  EXPECT_EQ(t.find("private"), nullptr);
  EXPECT_EQ(t.find("bypass"), nullptr);
}

TEST(ExplicitConnectionTable, AnUnresolvableHostnameNamesTheConnsLine) {
  auto built = ExplicitConnectionTable::build(
      load("conn a\n\tauto=add\n\tleft=192.0.2.1\n\tright=nowhere.invalid\n"), fakeResolver);
  ASSERT_FALSE(built);
  EXPECT_EQ(
      built.toError().message,
      "ipsec.conf:1: conn 'a': right=nowhere.invalid: cannot resolve 'nowhere.invalid': Name or service not "
      "known");
}

TEST(ExplicitConnectionTable, GetaddrinfoResolvesWhatTheHostKnows) {
  // localhost is in every /etc/hosts; a numeric name is an address already.
  auto local = resolveWithGetaddrinfo("localhost");
  ASSERT_TRUE(local) << local.error().message;
  EXPECT_TRUE(*local == ip("127.0.0.1") || *local == ip("::1")) << local->toString();
  auto literal = resolveWithGetaddrinfo("192.0.2.7");
  ASSERT_TRUE(literal);
  EXPECT_EQ(*literal, ip("192.0.2.7"));
}

TEST(ExplicitConnectionTable, MixedFamiliesAreErrors) {
  auto built =
      ExplicitConnectionTable::build(load("conn a\n\tauto=add\n\tleft=192.0.2.1\n\tright=v6.example\n"
                                          "conn b\n\tauto=add\n\tleft=192.0.2.1\n\tright=192.0.2.2\n"
                                          "\tleftsubnet=198.51.100.0/24\n"
                                          "\trightsubnet=203.0.113.0/24,2001:db8:1::/64\n"),
                                     fakeResolver);
  ASSERT_FALSE(built);
  const auto message = built.toError().message;
  EXPECT_NE(
      message.find("ipsec.conf:1: conn 'a': left=192.0.2.1 and right=v6.example are of different address "
                   "families"),
      std::string::npos)
      << message;
  EXPECT_NE(message.find("conn 'b': rightsubnet 2001:db8:1::/64 has no leftsubnet of its address family"),
            std::string::npos)
      << message;
}

TEST(ExplicitConnectionTable, IPv6SubnetsBesideIPv4) {
  auto built = ExplicitConnectionTable::build(load("conn a\n\tauto=add\n\tleft=192.0.2.1\n\tright=192.0.2.2\n"
                                                   "\tleftsubnet=198.51.100.0/24,2001:db8:1::/64\n"
                                                   "\trightsubnet=203.0.113.0/24,2001:db8:2::/64\n"),
                                              fakeResolver);
  ASSERT_TRUE(built) << built.toError().message;
  EXPECT_EQ(built->forTraffic(ip("2001:db8:1::5"), ip("2001:db8:2::7"), kAll)->name, "a");
  EXPECT_EQ(built->forTraffic(ip("2001:db8:1::5"), ip("2001:db8:3::7"), kAll), nullptr);
  auto choice = built->forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("2001:db8:2::/64")},
                                    {ts("2001:db8:1::/64")}, kAll);
  ASSERT_TRUE(choice.connection);
  EXPECT_TRUE(choice.exact);
}

TEST(ExplicitConnectionTable, InitiatorTakesTheLongestRightSubnet) {
  auto t = table();
  IpPrefix matched;
  EXPECT_EQ(t.forTraffic(ip("198.51.100.7"), ip("203.0.113.9"), kAll, &matched)->name, "narrow");
  EXPECT_EQ(matched.toString(), "203.0.113.0/25");
  EXPECT_EQ(t.forTraffic(ip("198.51.100.7"), ip("203.0.113.200"), kAll)->name, "wide");
  // Outside every leftsubnet: neither site-to-site conn.
  EXPECT_EQ(t.forTraffic(ip("192.0.2.1"), ip("203.0.113.9"), kAll), nullptr);
  // A conn without leftsubnet takes any local address.
  EXPECT_EQ(t.forTraffic(ip("10.15.1.1"), ip("192.0.2.3"), kAll)->name, "hosts");
  // Only usable conns count (loaded, and routed or kept up: the daemon decides).
  EXPECT_EQ(t.forTraffic(ip("198.51.100.7"), ip("203.0.113.9"),
                         [](const ExplicitConnection& c) { return c.name != "narrow"; })
                ->name,
            "wide");
}

TEST(ExplicitConnectionTable, ResponderListsTheConnsOfAPeerAddress) {
  auto t = table();
  auto found = t.forPeer(ip("192.0.2.1"), ip("192.0.2.2"));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->name, "wide");
  EXPECT_EQ(found[1]->name, "narrow");
  // left= pins our address: a request to another of ours is not theirs.
  EXPECT_TRUE(t.forPeer(ip("192.0.2.7"), ip("192.0.2.2")).empty());
  EXPECT_EQ(t.forPeer(ip("10.15.1.1"), ip("192.0.2.3")).size(), 1u);
}

TEST(ExplicitConnectionTable, ResponderPrefersTheConnThatHoldsTheOfferExactly) {
  auto t = table();
  // TSi is the peer's side (rightsubnet), TSr ours (leftsubnet).
  auto choice =
      t.forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("203.0.113.0/25")}, {ts("198.51.100.0/24")}, kAll);
  ASSERT_TRUE(choice.connection);
  EXPECT_EQ(choice.connection->name, "narrow") << "both hold it exactly; the more specific wins";
  EXPECT_TRUE(choice.exact);
  choice =
      t.forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("203.0.113.0/24")}, {ts("198.51.100.0/24")}, kAll);
  ASSERT_TRUE(choice.connection);
  EXPECT_EQ(choice.connection->name, "wide") << "narrow would have to narrow; wide holds it";
  EXPECT_EQ(choice.why, "conn 'wide' holds every offered selector");
  choice =
      t.forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("10.15.9.0/24")}, {ts("198.51.100.0/24")}, kAll);
  ASSERT_TRUE(choice.connection);
  EXPECT_EQ(choice.connection->name, "narrow");
}

TEST(ExplicitConnectionTable, NarrowingOnlyWhereTheConnAllowsIt) {
  auto t = table();
  auto notWide = [](const ExplicitConnection& c) { return c.name != "wide"; };
  // An offer wider than narrow's /25: narrowing=yes lets it answer with its part.
  auto choice = t.forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("203.0.113.0/24")},
                               {ts("198.51.100.0/24")}, notWide);
  ASSERT_TRUE(choice.connection);
  EXPECT_EQ(choice.connection->name, "narrow");
  EXPECT_FALSE(choice.exact);
  // wide (narrowing=no) refuses what is wider than its subnets.
  auto onlyWide = [](const ExplicitConnection& c) { return c.name == "wide"; };
  choice = t.forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("203.0.0.0/16")}, {ts("198.51.100.0/24")},
                          onlyWide);
  EXPECT_FALSE(choice.connection);
  EXPECT_EQ(choice.why, "conn 'wide': the offer is wider than its subnets and narrowing=no");
  // Nothing in common at all.
  choice = t.forSelectors(ip("192.0.2.1"), ip("192.0.2.2"), {ts("10.15.0.0/24")}, {ts("198.51.100.0/24")},
                          onlyWide);
  EXPECT_FALSE(choice.connection);
  EXPECT_EQ(choice.why, "conn 'wide': the offered selectors lie outside its rightsubnet");
  choice =
      t.forSelectors(ip("192.0.2.1"), ip("192.0.2.99"), {ts("10.15.0.0/24")}, {ts("198.51.100.0/24")}, kAll);
  EXPECT_EQ(choice.why, "no explicit conn has peer 192.0.2.99");
}

TEST(ExplicitConnectionTable, SelectorText) {
  EXPECT_EQ(selectorText(ts("203.0.113.0/24")), "203.0.113.0/24");
  EXPECT_EQ(selectorText(ts("192.0.2.1/32")), "192.0.2.1/32");
  EXPECT_EQ(selectorText(ts("2001:db8::/48")), "2001:db8::/48");
  TrafficSelector range{ip("192.0.2.3"), ip("192.0.2.9"), 6, 80, 80};
  EXPECT_EQ(selectorText(range), "192.0.2.3-192.0.2.9:6/80");
}

TEST(ExplicitConnectionTable, PolicyExplanationSaysTheExplicitConnOverridesTheGroup) {
  auto config = load(std::string(kConfig));
  auto parsed = parsePolicyGroup("192.0.2.0/24\n", "private", "policies/private");
  ASSERT_TRUE(parsed);
  auto groups = PolicyTable::build(config, {std::move(parsed).value()});
  ASSERT_TRUE(groups) << groups.toError().message;
  auto t = table();
  const auto explanation = groups->explain({ip("192.0.2.1"), ip("192.0.2.3")});
  IpPrefix matched;
  const auto* chosen = t.forTraffic(ip("192.0.2.1"), ip("192.0.2.3"), kAll, &matched);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(explainPrecedence(chosen, matched, explanation),
            "peer 192.0.2.3 from 192.0.2.1\n"
            "  applies: explicit conn 'hosts' rightsubnet 192.0.2.3/32 (right=192.0.2.3, auto=ondemand) at "
            "ipsec.conf:14\n"
            "  overridden: group 'private' 192.0.2.0/24 -> conn 'private': an explicit conn ranks above the "
            "opportunistic groups (as Libreswan ranks a configured conn above OE)\n"
            "  groups alone: group 'private' 192.0.2.0/24 -> conn 'private' (trap) at policies/private:1\n");
  // No explicit conn: the groups' explanation unchanged.
  EXPECT_EQ(explainPrecedence(nullptr, {}, explanation), explanation.toString());
}

}  // namespace
}  // namespace ikemesh::policy
