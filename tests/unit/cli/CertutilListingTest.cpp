// SPDX-License-Identifier: GPL-2.0-or-later
#include "CertutilListing.hpp"

#include <gtest/gtest.h>

namespace ikemesh::cli {
namespace {

// As certutil 3.87 prints it for a node database after `ikemesh import node.p12`.
constexpr const char* kListing =
    "\n"
    "Certificate Nickname                                         Trust Attributes\n"
    "                                                             SSL,S/MIME,JAR/XPI\n"
    "\n"
    "n1                                                           u,u,u\n"
    "Example CA - Example Organization                            CT,,\n"
    "node with spaces                                             ,,\n";

TEST(CertutilListing, ReadsNicknamesWithSpacesAndTheirTrust) {
  const auto listed = parseCertutilListing(kListing);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].nickname, "n1");
  EXPECT_EQ(listed[0].trust, "u,u,u");
  EXPECT_TRUE(listed[0].hasKey());
  EXPECT_FALSE(listed[0].trustedCa());
  EXPECT_EQ(listed[1].nickname, "Example CA - Example Organization");
  EXPECT_TRUE(listed[1].trustedCa());
  EXPECT_FALSE(listed[1].hasKey());
  EXPECT_EQ(listed[2].nickname, "node with spaces");
  EXPECT_FALSE(listed[2].trustedCa());
}

TEST(CertutilListing, NothingBeforeTheHeaderCounts) {
  EXPECT_TRUE(parseCertutilListing("n1   u,u,u\n").empty());
  EXPECT_TRUE(parseCertutilListing("").empty());
}

TEST(CertutilListing, ALineWithoutANicknameIsSkipped) {
  const auto listed = parseCertutilListing("SSL,S/MIME,JAR/XPI\n   CT,,\nlonely\n");
  EXPECT_TRUE(listed.empty());
}

}  // namespace
}  // namespace ikemesh::cli
