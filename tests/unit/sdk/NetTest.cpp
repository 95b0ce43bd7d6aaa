// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <ikemesh/net.hpp>

using namespace ikemesh;

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::parse("192.0.2.7");
  auto v6 = IpAddress::parse("2001:db8::7");
  ASSERT_TRUE(v4 && v6);
  EXPECT_TRUE(v4->isV4());
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v4->toString(), "192.0.2.7");
  EXPECT_EQ(v6->toString(), "2001:db8::7");
  EXPECT_EQ(v4->bits(), 32);
  EXPECT_EQ(v6->bits(), 128);
}

TEST(IpAddress, RejectsWhatIsNotAnAddress) {
  for (const char* bad :
       {"", "192.0.2", "192.0.2.256", "host.example", "2001:db8:::1", "192.0.2.1/24", " 192.0.2.1"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
}

TEST(IpAddress, OrdersV4BeforeV6AndNumerically) {
  EXPECT_LT(*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"));
  EXPECT_LT(*IpAddress::parse("203.0.113.1"), *IpAddress::parse("::1"));
}

TEST(IpPrefix, ParsesPrefixesAndBareAddresses) {
  auto p = IpPrefix::parse("10.15.0.0/16");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length(), 16);
  EXPECT_EQ(p->toString(), "10.15.0.0/16");
  auto host = IpPrefix::parse("198.51.100.9");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->isHost());
  EXPECT_EQ(host->toString(), "198.51.100.9/32");
  auto v6 = IpPrefix::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->length(), 32);
}

TEST(IpPrefix, RejectsHostBitsAndBadLengths) {
  for (const char* bad : {"10.15.1.1/16", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/a", "2001:db8::/129", "/8"})
    EXPECT_FALSE(IpPrefix::parse(bad)) << bad;
}

TEST(IpPrefix, ContainsOnlyItsOwnFamilyAndRange) {
  auto p = *IpPrefix::parse("10.15.0.0/16");
  EXPECT_TRUE(p.contains(*IpAddress::parse("10.15.200.1")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("10.16.0.1")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("::a0f:1")));
  auto all = *IpPrefix::parse("0.0.0.0/0");
  EXPECT_TRUE(all.contains(*IpAddress::parse("203.0.113.5")));
}

TEST(IpPrefix, ConstructorClearsHostBits) {
  IpPrefix p(*IpAddress::parse("192.0.2.77"), 24);
  EXPECT_EQ(p.toString(), "192.0.2.0/24");
  IpPrefix q(*IpAddress::parse("2001:db8::ffff"), 120);
  EXPECT_EQ(q.toString(), "2001:db8::ff00/120");
}
