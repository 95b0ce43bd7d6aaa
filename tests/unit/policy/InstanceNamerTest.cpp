// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "policy/InstanceNamer.hpp"

namespace ikemesh::policy {
namespace {

TEST(InstanceNamer, NamesInstancesAsLibreswanDoes) {
  InstanceNamer namer;
  auto first = namer.next("private", *IpPrefix::parse("10.15.0.0/16"), *IpAddress::parse("10.15.1.7"));
  EXPECT_EQ(first.toString(), "\"private#10.15.0.0/16\"[1] ...10.15.1.7");
  EXPECT_EQ(first.connectionName(), "private#10.15.0.0/16");
}

TEST(InstanceNamer, SerialsCountPerTemplateFromOne) {
  InstanceNamer namer;
  auto group = *IpPrefix::parse("10.15.0.0/16");
  EXPECT_EQ(namer.next("private", group, *IpAddress::parse("10.15.1.7")).serial, 1u);
  EXPECT_EQ(namer.next("private", group, *IpAddress::parse("10.15.1.8")).serial, 2u);
  EXPECT_EQ(
      namer.next("private-or-clear", *IpPrefix::parse("10.16.0.0/16"), *IpAddress::parse("10.16.0.1")).serial,
      1u);
  auto again = namer.next("private", group, *IpAddress::parse("10.15.1.7"));
  EXPECT_EQ(again.toString(), "\"private#10.15.0.0/16\"[3] ...10.15.1.7");
}

TEST(InstanceNamer, Ipv6Instance) {
  InstanceNamer namer;
  auto name = namer.next("private", *IpPrefix::parse("2001:db8::/32"), *IpAddress::parse("2001:db8::7"));
  EXPECT_EQ(name.toString(), "\"private#2001:db8::/32\"[1] ...2001:db8::7");
}

}  // namespace
}  // namespace ikemesh::policy
