// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "policy/ConfigLoader.hpp"
#include "policy/PolicyTable.hpp"

namespace ikemesh::policy {
namespace {

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(IpAddress{});
}

Config meshConfig() {
  static const ConfigSchema schema = ConfigSchema::standard();
  std::string text;
  for (const char* name : {"private", "private-or-clear", "clear-or-private"})
    text += std::string("conn ") + name +
            "\n\tauto=ondemand\n\ttype=transport\n\tleft=%defaultroute\n"
            "\tright=%opportunisticgroup\n";
  text +=
      "conn "
      "clear\n\tauto=ondemand\n\ttype=passthrough\n\tauthby=never\n\tleft=%defaultroute\n\tright=%group\n";
  text +=
      "conn block\n\tauto=ondemand\n\ttype=reject\n\tauthby=never\n\tleft=%defaultroute\n\tright=%group\n";
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false}).loadText(text, "ipsec.conf");
  EXPECT_TRUE(config) << config.toError().message;
  return std::move(config).value();
}

PolicyGroup group(const std::string& name, std::string_view text) {
  auto parsed = parsePolicyGroup(text, name, "policies/" + name);
  EXPECT_TRUE(parsed) << parsed.toError().message;
  return std::move(parsed).value();
}

PolicyTable meshTable() {
  std::vector<PolicyGroup> groups = {
      group("private",
            "10.0.0.0/8\n10.20.0.0/16\n2001:db8::/32\n192.0.2.0/24 tcp 0 443\n10.30.0.0/16 udp 0 "
            "53\n172.16.0.0/12\n"),
      group("private-or-clear", "10.15.0.0/16\n2001:db8:1::/48\n198.51.100.0/24\n"),
      group("clear", "10.15.1.0/24\n10.15.1.1/32\n2001:db8:1:2::/64\n192.0.2.0/24\n10.20.5.0/24 tcp 0 80\n"),
      group("block", "10.15.1.66/32\n203.0.113.0/24\n10.20.0.0/16 tcp 0 23\n198.51.100.0/24 udp 500 0\n"),
      group("clear-or-private", ""),  // no file: an empty group
  };
  auto table = PolicyTable::build(meshConfig(), std::move(groups));
  EXPECT_TRUE(table) << table.toError().message;
  table->setLocalAddresses({ip("10.15.2.9"), ip("2001:db8:1::9")});
  return std::move(table).value();
}

struct LookupRow {
  const char* local;
  const char* peer;
  std::uint8_t protocol;
  std::uint16_t localPort;
  std::uint16_t peerPort;
  const char* group;  ///< "" when nothing applies
  const char* entry;  ///< the winning entry as written
};

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;

const LookupRow kRows[] = {
    // plain prefixes nested /8 > /16 > /24 > /32
    {"10.15.2.9", "10.1.2.3", 0, 0, 0, "private", "10.0.0.0/8"},
    {"10.15.2.9", "10.255.255.255", 0, 0, 0, "private", "10.0.0.0/8"},
    {"10.15.2.9", "10.15.0.9", 0, 0, 0, "private-or-clear", "10.15.0.0/16"},
    {"10.15.2.9", "10.15.2.10", 0, 0, 0, "private-or-clear", "10.15.0.0/16"},  // next to our own address
    {"10.15.2.9", "10.15.1.9", 0, 0, 0, "clear", "10.15.1.0/24"},
    {"10.15.2.9", "10.15.1.1", 0, 0, 0, "clear", "10.15.1.1/32"},
    {"10.15.2.9", "10.15.1.66", 0, 0, 0, "block", "10.15.1.66/32"},
    {"10.15.2.9", "10.15.1.67", 0, 0, 0, "clear", "10.15.1.0/24"},
    {"10.15.2.9", "10.20.1.1", 0, 0, 0, "private", "10.20.0.0/16"},
    {"10.15.2.9", "172.20.0.1", 0, 0, 0, "private", "172.16.0.0/12"},
    {"10.15.2.9", "172.32.0.1", 0, 0, 0, "", ""},  // just past the /12
    {"10.15.2.9", "11.0.0.0", 0, 0, 0, "", ""},
    {"10.15.2.9", "8.8.8.8", 0, 0, 0, "", ""},
    {"10.15.2.9", "0.0.0.0", 0, 0, 0, "", ""},
    {"10.15.2.9", "198.51.100.7", 0, 0, 0, "private-or-clear", "198.51.100.0/24"},
    {"10.15.2.9", "203.0.113.200", 0, 0, 0, "block", "203.0.113.0/24"},
    // protocol and port entries
    {"10.15.2.9", "10.20.1.1", kTcp, 40000, 23, "block", "10.20.0.0/16 tcp 0 23"},  // beats the plain /16
    {"10.15.2.9", "10.20.1.1", kTcp, 40000, 22, "private", "10.20.0.0/16"},  // other port: the plain /16
    {"10.15.2.9", "10.20.5.5", kTcp, 40000, 80, "clear", "10.20.5.0/24 tcp 0 80"},
    {"10.15.2.9", "10.20.5.5", 0, 0, 0, "private", "10.20.0.0/16"},          // address alone: plain only
    {"10.15.2.9", "10.20.5.5", kUdp, 40000, 80, "private", "10.20.0.0/16"},  // udp is not tcp
    {"10.15.2.9", "10.20.5.5", kTcp, 40000, 23, "block",
     "10.20.0.0/16 tcp 0 23"},  // the /24 entry is port 80 only
    {"10.15.2.9", "192.0.2.10", 0, 0, 0, "clear", "192.0.2.0/24"},
    {"10.15.2.9", "192.0.2.10", kTcp, 50000, 443, "private", "192.0.2.0/24 tcp 0 443"},
    {"10.15.2.9", "192.0.2.10", kTcp, 50000, 444, "clear", "192.0.2.0/24"},
    {"10.15.2.9", "10.30.0.1", kUdp, 1000, 53, "private", "10.30.0.0/16 udp 0 53"},
    {"10.15.2.9", "10.30.0.1", 0, 0, 0, "private", "10.0.0.0/8"},
    {"10.15.2.9", "198.51.100.7", kUdp, 500, 4500, "block", "198.51.100.0/24 udp 500 0"},
    {"10.15.2.9", "198.51.100.7", kUdp, 501, 4500, "private-or-clear", "198.51.100.0/24"},
    // IPv6
    {"2001:db8:1::9", "2001:db8::1", 0, 0, 0, "private", "2001:db8::/32"},
    {"2001:db8:1::9", "2001:db8:1::5", 0, 0, 0, "private-or-clear", "2001:db8:1::/48"},
    {"2001:db8:1::9", "2001:db8:1:2::5", 0, 0, 0, "clear", "2001:db8:1:2::/64"},
    {"2001:db8:1::9", "2001:db9::1", 0, 0, 0, "", ""},
    {"2001:db8:1::9", "fe80::1", 0, 0, 0, "", ""},
    // own addresses never match, even inside a listed prefix
    {"10.15.2.9", "10.15.2.9", 0, 0, 0, "", ""},
    {"192.0.2.200", "10.15.2.9", 0, 0, 0, "", ""},  // one of the local addresses, whatever the source
    {"2001:db8:1::9", "2001:db8:1::9", kTcp, 1, 22, "", ""},
    {"10.99.0.1", "10.99.0.1", 0, 0, 0, "", ""},  // the query's own local address
};

class PolicyLookup : public ::testing::TestWithParam<LookupRow> {};

TEST_P(PolicyLookup, LongestPrefixThenMostSpecificWins) {
  static const PolicyTable table = meshTable();
  const LookupRow& row = GetParam();
  TrafficQuery query{ip(row.local), ip(row.peer), row.protocol, row.localPort, row.peerPort};
  PolicyMatch match = table.lookup(query);
  if (std::string_view(row.group).empty()) {
    EXPECT_FALSE(match) << "matched " << match.group->group << " " << match.entry->toString();
    return;
  }
  ASSERT_TRUE(match);
  EXPECT_EQ(match.group->group, row.group);
  EXPECT_EQ(match.group->connection, row.group);
  EXPECT_EQ(match.entry->toString(), row.entry);
  // explain() names the same winner
  auto explanation = table.explain(query);
  ASSERT_TRUE(explanation.winner);
  EXPECT_EQ(explanation.winner->entry, match.entry);
}

INSTANTIATE_TEST_SUITE_P(Rows, PolicyLookup, ::testing::ValuesIn(kRows));

TEST(PolicyTable, ActionsFollowTheConnType) {
  PolicyTable table = meshTable();
  auto action = [&](const char* peer) { return table.lookup({ip("10.15.2.9"), ip(peer)}).group->action; };
  EXPECT_EQ(action("10.1.2.3"), PolicyAction::Trap);
  EXPECT_EQ(action("10.15.1.9"), PolicyAction::Pass);
  EXPECT_EQ(action("203.0.113.1"), PolicyAction::Block);
}

TEST(PolicyTable, SameEntryInTwoGroupsNamesBothLines) {
  std::vector<PolicyGroup> groups = {group("private", "10.15.0.0/16\n"),
                                     group("clear", "# exceptions\n10.15.0.1/32\n10.15.0.0/16\n")};
  auto table = PolicyTable::build(meshConfig(), std::move(groups));
  ASSERT_FALSE(table);
  ASSERT_EQ(table.errors().size(), 1u);
  EXPECT_EQ(table.firstError().toString(),
            "policies/clear:3: 10.15.0.0/16 is already in group 'private' at policies/private:1; an entry "
            "may be in "
            "one group only");
}

TEST(PolicyTable, SameCidrWithOtherPortsInTwoGroupsIsFine) {
  std::vector<PolicyGroup> groups = {group("private", "10.15.0.0/16\n"),
                                     group("clear", "10.15.0.0/16 tcp 0 80\n")};
  EXPECT_TRUE(PolicyTable::build(meshConfig(), std::move(groups)));
  std::vector<PolicyGroup> clash = {group("private", "10.15.0.0/16 tcp 0 80\n"),
                                    group("clear", "10.15.0.0/16 tcp 0 80\n")};
  EXPECT_FALSE(PolicyTable::build(meshConfig(), std::move(clash)));
}

TEST(PolicyTable, GroupWithoutConnIsAnError) {
  std::vector<PolicyGroup> groups = {group("nonesuch", "10.0.0.0/8\n")};
  auto table = PolicyTable::build(meshConfig(), std::move(groups));
  ASSERT_FALSE(table);
  EXPECT_EQ(table.firstError().toString(),
            "policies/nonesuch: policy group 'nonesuch' has no conn of that name");
}

TEST(PolicyTable, OwnSlash32AndOwnSlash16InAGroupJustWork) {
  std::vector<PolicyGroup> groups = {group("private", "10.15.0.0/16\n10.15.3.3/32\n")};
  auto table = PolicyTable::build(meshConfig(), std::move(groups));
  ASSERT_TRUE(table);
  table->setLocalAddresses({ip("10.15.3.3")});
  EXPECT_FALSE(table->lookup({ip("10.15.3.3"), ip("10.15.3.3")}));
  EXPECT_FALSE(table->lookup({ip("192.0.2.1"), ip("10.15.3.3")}));
  EXPECT_TRUE(table->lookup({ip("10.15.3.3"), ip("10.15.3.4")}));
  EXPECT_EQ(table->ownAddressesToExclude(), std::vector<IpAddress>{ip("10.15.3.3")});
}

TEST(PolicyTable, OwnAddressInAClearGroupNeedsNoExclusion) {
  std::vector<PolicyGroup> groups = {group("clear", "10.15.0.0/16\n"), group("private", "10.16.0.0/16\n")};
  auto table = PolicyTable::build(meshConfig(), std::move(groups));
  ASSERT_TRUE(table);
  table->setLocalAddresses({ip("10.15.3.3"), ip("10.16.0.1"), ip("192.0.2.1")});
  EXPECT_EQ(table->ownAddressesToExclude(), std::vector<IpAddress>{ip("10.16.0.1")});
}

TEST(PolicyTable, ExplainListsTheCandidatesThatLostAndWhy) {
  PolicyTable table = meshTable();
  auto explanation = table.explain({ip("10.15.2.9"), ip("10.15.1.66")});
  ASSERT_TRUE(explanation.winner);
  EXPECT_EQ(explanation.winner->entry->toString(), "10.15.1.66/32");
  EXPECT_EQ(explanation.winner->entry->where, (SourceLocation{"policies/block", 1}));
  EXPECT_EQ(explanation.winner->group->connection, "block");
  ASSERT_EQ(explanation.lost.size(), 3u);
  EXPECT_EQ(explanation.lost[0].entry->toString(), "10.0.0.0/8");
  EXPECT_EQ(explanation.lost[0].whyLost, "shorter prefix (/8) than the winner's (/32)");
  EXPECT_EQ(explanation.lost[1].entry->toString(), "10.15.0.0/16");
  EXPECT_EQ(explanation.lost[2].entry->toString(), "10.15.1.0/24");
  EXPECT_EQ(explanation.toString(),
            "peer 10.15.1.66 from 10.15.2.9\n"
            "  applies: group 'block' 10.15.1.66/32 -> conn 'block' (block) at policies/block:1\n"
            "  lost: group 'private' 10.0.0.0/8 -> conn 'private' (trap) at policies/private:1: shorter "
            "prefix (/8) "
            "than the winner's (/32)\n"
            "  lost: group 'private-or-clear' 10.15.0.0/16 -> conn 'private-or-clear' (trap) at "
            "policies/private-or-clear:1: shorter prefix (/16) than the winner's (/32)\n"
            "  lost: group 'clear' 10.15.1.0/24 -> conn 'clear' (pass) at policies/clear:1: shorter prefix "
            "(/24) than "
            "the winner's (/32)\n");
}

TEST(PolicyTable, ExplainPortMismatchAndSamePrefix) {
  PolicyTable table = meshTable();
  auto explanation = table.explain({ip("10.15.2.9"), ip("10.20.5.5"), kTcp, 40000, 23});
  ASSERT_TRUE(explanation.winner);
  EXPECT_EQ(explanation.winner->entry->toString(), "10.20.0.0/16 tcp 0 23");
  ASSERT_EQ(explanation.lost.size(), 3u);
  EXPECT_EQ(explanation.lost[0].entry->toString(), "10.0.0.0/8");
  EXPECT_EQ(explanation.lost[1].entry->toString(), "10.20.0.0/16");
  EXPECT_EQ(explanation.lost[1].whyLost, "same prefix as the winner, which names more of protocol and ports");
  EXPECT_EQ(explanation.lost[2].entry->toString(), "10.20.5.0/24 tcp 0 80");
  EXPECT_EQ(explanation.lost[2].whyLost,
            "applies only to tcp from port any to port 80; the query is tcp from port 40000 to port 23");
}

TEST(PolicyTable, ExplainOwnAddress) {
  PolicyTable table = meshTable();
  auto explanation = table.explain({ip("10.15.2.9"), ip("10.15.2.9")});
  EXPECT_TRUE(explanation.peerIsOwnAddress);
  EXPECT_FALSE(explanation.winner);
  ASSERT_EQ(explanation.lost.size(), 2u);
  EXPECT_EQ(explanation.lost[1].whyLost,
            "10.15.2.9 is one of this node's own addresses, which never match a group");
  EXPECT_EQ(
      explanation.toString().rfind(
          "peer 10.15.2.9 from 10.15.2.9\n  applies: nothing; the peer is one of this node's own addresses\n"
          "  lost: group 'private' 10.0.0.0/8",
          0),
      0u);
}

TEST(PolicyTable, ExplainNoMatch) {
  PolicyTable table = meshTable();
  auto explanation = table.explain({ip("10.15.2.9"), ip("8.8.8.8")});
  EXPECT_FALSE(explanation.winner);
  EXPECT_TRUE(explanation.lost.empty());
  EXPECT_EQ(explanation.toString(),
            "peer 8.8.8.8 from 10.15.2.9\n  applies: nothing; no group lists the peer\n");
}

TEST(PolicyTable, ACopiedTableAnswersOnItsOwn) {
  PolicyTable copy = [] {
    PolicyTable original = meshTable();
    return PolicyTable(original);
  }();
  auto match = copy.lookup({ip("10.15.2.9"), ip("10.15.1.1")});
  ASSERT_TRUE(match);
  EXPECT_EQ(match.entry->toString(), "10.15.1.1/32");
}

TEST(PrefixTrie, WalkSeesEveryContainingPrefixShortestFirst) {
  PrefixTrie trie(IpAddress::Family::V4);
  auto slot8 = trie.slotFor(*IpPrefix::parse("10.0.0.0/8"));
  auto slot0 = trie.slotFor(*IpPrefix::parse("0.0.0.0/0"));
  auto slot32 = trie.slotFor(*IpPrefix::parse("10.1.2.3/32"));
  trie.slotFor(*IpPrefix::parse("10.1.2.4/32"));
  EXPECT_EQ(trie.slotFor(*IpPrefix::parse("10.0.0.0/8")), slot8);  // same prefix, same slot
  std::vector<std::pair<int, std::uint32_t>> seen;
  trie.walk(ip("10.1.2.3"), [&](int length, std::uint32_t slot) { seen.emplace_back(length, slot); });
  EXPECT_EQ(seen, (std::vector<std::pair<int, std::uint32_t>>{{0, slot0}, {8, slot8}, {32, slot32}}));
  EXPECT_EQ(trie.findSlot(*IpPrefix::parse("10.1.0.0/16")), PrefixTrie::kNoSlot);
  EXPECT_EQ(trie.longestMatch(ip("10.1.2.3"), [&](std::uint32_t s) { return s != slot32; }), slot8);
}

}  // namespace
}  // namespace ikemesh::policy
