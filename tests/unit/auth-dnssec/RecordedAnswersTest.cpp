// SPDX-License-Identifier: GPL-2.0-or-later
// Answers that nsd gave for zones ldns-signzone signed (the fuzzer's seeds): the validator
// finds the IPSECKEY set secure, and NXDOMAIN / NODATA proven by NSEC and by NSEC3; the same
// answers a day after the signatures expire are refused as expired.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "DnsReplayTransport.hpp"
#include "DnssecSeedAnchor.hpp"
#include "DnssecValidator.hpp"

namespace ikemesh::authdnssec {
namespace {

Validation replay(const std::string& seed, const std::string& name,
                  std::time_t now = testkit::kDnssecSeedTime) {
  std::ifstream file(std::string(IKEMESH_DNSSEC_SEEDS) + "/" + seed, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_GT(bytes.size(), 1u) << seed;
  EXPECT_EQ(bytes.at(0), 1) << seed;  // the validator target
  testkit::ReplayTransport transport(testkit::splitLengthPrefixed<2>(bytes.data() + 1, bytes.size() - 1));
  auto anchors = parseTrustAnchors(testkit::kDnssecSeedAnchors, "seed anchors");
  EXPECT_TRUE(anchors);
  DnssecValidator validator(transport, anchors->get(), now);
  return validator.lookup(name, LDNS_RR_TYPE_IPSECKEY);
}

TEST(RecordedAnswers, TheIpseckeySetIsSecureWithNsecAndWithNsec3) {
  for (const char* seed : {"nsec-secure", "nsec3-secure"}) {
    auto v = replay(seed, "n.mesh.test.");
    EXPECT_EQ(v.verdict, Verdict::Secure) << seed << ": " << v.reason;
    EXPECT_EQ(v.rdatas.size(), 2u) << seed;  // an ECDSA and an RSA key
  }
}

TEST(RecordedAnswers, MissingRecordsAreProven) {
  EXPECT_EQ(replay("nsec-nxdomain", "x.mesh.test.").verdict, Verdict::NoSuchRecord);
  EXPECT_EQ(replay("nsec-nodata", "m.mesh.test.").verdict, Verdict::NoSuchRecord);
  EXPECT_EQ(replay("nsec3-nxdomain", "x.mesh.test.").verdict, Verdict::NoSuchRecord);
  EXPECT_EQ(replay("nsec3-nodata", "m.mesh.test.").verdict, Verdict::NoSuchRecord);
  // The NSEC that proves x.mesh.test. does not exist says nothing about another name.
  EXPECT_EQ(replay("nsec-nxdomain", "n.mesh.test.").verdict, Verdict::Bogus);
}

TEST(RecordedAnswers, AfterTheSignaturesExpireTheyAreRefused) {
  const std::time_t afterExpiry = 2'145'916'800 + 86400;  // 2038-01-02
  auto v = replay("nsec-secure", "n.mesh.test.", afterExpiry);
  EXPECT_EQ(v.verdict, Verdict::Expired) << v.reason;
}

}  // namespace
}  // namespace ikemesh::authdnssec
