// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "policy/ConfigValues.hpp"

namespace ikemesh::policy {
namespace {

using std::chrono::milliseconds;

TEST(ConfigValues, DurationsWithoutUnitAreSecondsForLifetimes) {
  EXPECT_EQ(parseDuration("3600", PlainDurationUnit::Seconds), milliseconds(3600000));
  EXPECT_EQ(parseDuration("30s", PlainDurationUnit::Seconds), milliseconds(30000));
  EXPECT_EQ(parseDuration("9m", PlainDurationUnit::Seconds), milliseconds(540000));
  EXPECT_EQ(parseDuration("8h", PlainDurationUnit::Seconds), milliseconds(8 * 3600000));
  EXPECT_EQ(parseDuration("1d", PlainDurationUnit::Seconds), milliseconds(86400000));
  EXPECT_EQ(parseDuration("250ms", PlainDurationUnit::Seconds), milliseconds(250));
}

TEST(ConfigValues, DurationsWithoutUnitAreMillisecondsForRetransmitInterval) {
  EXPECT_EQ(parseDuration("500", PlainDurationUnit::Milliseconds), milliseconds(500));
  EXPECT_EQ(parseDuration("500ms", PlainDurationUnit::Milliseconds), milliseconds(500));
  EXPECT_EQ(parseDuration("2s", PlainDurationUnit::Milliseconds), milliseconds(2000));
}

TEST(ConfigValues, BadDurationsAreRefused) {
  for (const char* text : {"", "h", "1x", "-5", "1.5h", "1 h", "99999999999999999999d", "100000000d"})
    EXPECT_FALSE(parseDuration(text, PlainDurationUnit::Seconds)) << text;
}

TEST(ConfigValues, PercentAcceptsTheSignOrNot) {
  EXPECT_EQ(parsePercent("100%"), 100);
  EXPECT_EQ(parsePercent("50"), 50);
  EXPECT_FALSE(parsePercent("%"));
  EXPECT_FALSE(parsePercent("5000%"));
}

TEST(ConfigValues, HostnamesAreNotBrokenAddresses) {
  EXPECT_TRUE(isHostname("node1.example.org"));
  EXPECT_TRUE(isHostname("gw-2"));
  EXPECT_FALSE(isHostname("10.0.0.256"));
  EXPECT_FALSE(isHostname("-bad.example"));
  EXPECT_FALSE(isHostname("a..b"));
  EXPECT_FALSE(isHostname("under_score"));
}

TEST(ConfigValues, PrefixWithHostBitsSuggestsTheNetwork) {
  auto prefix = parsePrefix("10.15.1.1/16");
  ASSERT_FALSE(prefix);
  EXPECT_EQ(prefix.error().message, "host bits are set (did you mean 10.15.0.0/16?)");
  EXPECT_EQ(parsePrefix("10.15.0.0/33").error().message, "the prefix length must be a number from 0 to 32");
  EXPECT_EQ(parsePrefix("10.15.0/16").error().message, "'10.15.0' is not an IPv4 or IPv6 address");
  EXPECT_EQ(parsePrefix("2001:db8::/32")->toString(), "2001:db8::/32");
  EXPECT_EQ(parsePrefix("192.0.2.7")->length(), 32);
}

TEST(ConfigValues, ProposalsInLibreswanSyntax) {
  auto ike = parseProposals("aes_gcm256-sha2_512;dh19,aes256-sha2_256-modp2048", "ike");
  ASSERT_TRUE(ike) << ike.error().message;
  ASSERT_EQ(ike->size(), 2u);
  EXPECT_EQ((*ike)[0], (Proposal{{"aes_gcm256"}, {"sha2_512"}, {"dh19"}}));
  EXPECT_EQ((*ike)[1], (Proposal{{"aes256"}, {"sha2_256"}, {"modp2048"}}));

  auto esp = parseProposals("aes_gcm_16_256+aes_gcm128;dh31+ecp384", "esp");
  ASSERT_TRUE(esp) << esp.error().message;
  EXPECT_EQ((*esp)[0], (Proposal{{"aes_gcm_16_256", "aes_gcm128"}, {}, {"dh31", "ecp384"}}));
  EXPECT_TRUE(parseProposals("AES_GCM256", "esp"));
  EXPECT_TRUE(parseProposals("aes-sha2;curve25519", "ike"));
}

TEST(ConfigValues, UnknownAlgorithmIsNamed) {
  EXPECT_EQ(parseProposals("aes256-md5", "ike").error().message, "unknown algorithm 'md5' in ike=aes256-md5");
  EXPECT_EQ(parseProposals("3des-sha1", "esp").error().message, "unknown algorithm '3des' in esp=3des-sha1");
  EXPECT_EQ(parseProposals("aes_gcm_8", "esp").error().message,
            "unknown algorithm 'aes_gcm_8' in esp=aes_gcm_8");
  EXPECT_EQ(parseProposals("aes;modp1024", "ike").error().message,
            "unknown algorithm 'modp1024' in ike=aes;modp1024");
}

TEST(ConfigValues, ProposalStructureErrors) {
  EXPECT_EQ(parseProposals("sha2-aes", "ike").error().message,
            "the proposal must start with an encryption algorithm, not 'sha2' in ike=sha2-aes");
  EXPECT_EQ(parseProposals("aes,,aes", "ike").error().message, "empty proposal in ike=aes,,aes");
  EXPECT_EQ(parseProposals("aes-sha2;", "ike").error().message, "empty DH group after ';' in ike=aes-sha2;");
  EXPECT_EQ(parseProposals("aes-modp2048;dh19", "ike").error().message,
            "two DH groups given in ike=aes-modp2048;dh19");
  EXPECT_EQ(parseProposals("aes-dh19-sha2", "ike").error().message,
            "integrity algorithm 'sha2' after the DH group in ike=aes-dh19-sha2");
}

}  // namespace
}  // namespace ikemesh::policy
