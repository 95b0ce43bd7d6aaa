// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "TempFolder.hpp"
#include "policy/ConfigLoader.hpp"
#include "policy/PolicyGroup.hpp"

namespace ikemesh::policy {
namespace {

std::string firstError(std::string_view text) {
  auto group = parsePolicyGroup(text, "private", "policies/private");
  return group ? "(parsed without error)" : group.firstError().toString();
}

TEST(PolicyGroupFile, CidrsCommentsBlankLinesAndIpv6) {
  auto group = parsePolicyGroup("# mesh\n\n10.15.0.0/16\n  2001:db8::/32   # v6\n192.0.2.7\n", "private",
                                "policies/private");
  ASSERT_TRUE(group) << group.toError().message;
  ASSERT_EQ(group->entries.size(), 3u);
  EXPECT_EQ(group->entries[0].prefix.toString(), "10.15.0.0/16");
  EXPECT_EQ(group->entries[0].where, (SourceLocation{"policies/private", 3}));
  EXPECT_EQ(group->entries[1].prefix.toString(), "2001:db8::/32");
  EXPECT_EQ(group->entries[2].prefix.toString(), "192.0.2.7/32");
  EXPECT_FALSE(group->entries[0].hasProtocolOrPorts());
}

TEST(PolicyGroupFile, ProtocolAndPortsAfterTheCidr) {
  auto group = parsePolicyGroup("192.0.2.0/24 tcp 0 80\n198.51.100.0/24 17 500 0\n2001:db8::/32 icmpv6 0 0\n",
                                "clear", "policies/clear");
  ASSERT_TRUE(group) << group.toError().message;
  EXPECT_EQ(group->entries[0].protocol, 6);
  EXPECT_EQ(group->entries[0].localPort, 0);
  EXPECT_EQ(group->entries[0].peerPort, 80);
  EXPECT_EQ(group->entries[0].toString(), "192.0.2.0/24 tcp 0 80");
  EXPECT_EQ(group->entries[1].protocol, 17);
  EXPECT_EQ(group->entries[1].localPort, 500);
  EXPECT_EQ(group->entries[1].toString(), "198.51.100.0/24 udp 500 0");
  EXPECT_EQ(group->entries[2].protocol, 58);
}

TEST(PolicyGroupFile, BadCidr) {
  EXPECT_EQ(firstError("10.15.0.0/16\n10.15.1.1/16\n"),
            "policies/private:2: bad CIDR '10.15.1.1/16': host bits are set (did you mean 10.15.0.0/16?)");
  EXPECT_EQ(firstError("10.15.0.0/40\n"),
            "policies/private:1: bad CIDR '10.15.0.0/40': the prefix length must be a number from 0 to 32");
  EXPECT_EQ(firstError("private\n"),
            "policies/private:1: bad CIDR 'private': 'private' is not an IPv4 or IPv6 address");
}

TEST(PolicyGroupFile, BadProtocolOrPort) {
  EXPECT_EQ(firstError("192.0.2.0/24 http 0 80\n"),
            "policies/private:1: unknown protocol 'http' (expected tcp, udp, icmp, sctp, ... or 0-255)");
  EXPECT_EQ(firstError("192.0.2.0/24 tcp 0 70000\n"),
            "policies/private:1: bad port '70000' (expected 0-65535, 0 = any)");
  EXPECT_EQ(firstError("192.0.2.0/24 0 0 80\n"),
            "policies/private:1: ports need a protocol (protocol 0 means any)");
}

TEST(PolicyGroupFile, WrongNumberOfFields) {
  EXPECT_EQ(
      firstError("192.0.2.0/24 tcp 80\n"),
      "policies/private:1: expected 'CIDR' or 'CIDR PROTOCOL SOURCE-PORT DESTINATION-PORT', got 3 fields");
}

TEST(PolicyGroupFile, SameEntryTwiceInOneFile) {
  EXPECT_EQ(firstError("10.15.0.0/16\n# again\n10.15.0.0/16\n"),
            "policies/private:3: 10.15.0.0/16 is listed twice (first at policies/private:1)");
  EXPECT_TRUE(parsePolicyGroup("10.15.0.0/16\n10.15.0.0/16 tcp 0 22\n", "p", "p"));
}

TEST(PolicyGroupFile, AllBrokenLinesAreReported) {
  auto group = parsePolicyGroup("bad\n10.0.0.0/8\nworse\n", "p", "p");
  ASSERT_FALSE(group);
  EXPECT_EQ(group.errors().size(), 2u);
}

TEST(PolicyGroupFiles, OnlyGroupConnsAreReadAndMissingFilesAreEmpty) {
  test::TempFolder folder;
  folder.write("policies/private", "10.15.0.0/16\n");
  folder.write("policies/unrelated", "this file belongs to no conn\n");
  auto main =
      folder.write("ipsec.conf",
                   "conn private\n\tauto=ondemand\n\tleft=%defaultroute\n\tright=%opportunisticgroup\n"
                   "conn block\n\tauto=ondemand\n\ttype=drop\n\tleft=%defaultroute\n\tright=%group\n"
                   "conn plain\n\tauto=add\n\tleft=%defaultroute\n\tright=192.0.2.1\n"
                   "conn off\n\tright=%group\n");
  static const ConfigSchema schema = ConfigSchema::standard();
  auto config = ConfigLoader(schema).loadFile(main);
  ASSERT_TRUE(config) << config.toError().message;
  EXPECT_EQ(policiesFolderFor(main), folder.path("policies"));
  auto groups = loadPolicyGroups(*config, policiesFolderFor(main));
  ASSERT_TRUE(groups) << groups.toError().message;
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "private");
  EXPECT_TRUE((*groups)[0].fileExists);
  EXPECT_EQ((*groups)[0].entries.size(), 1u);
  EXPECT_EQ((*groups)[1].name, "block");
  EXPECT_FALSE((*groups)[1].fileExists);
  EXPECT_TRUE((*groups)[1].entries.empty());
}

}  // namespace
}  // namespace ikemesh::policy
