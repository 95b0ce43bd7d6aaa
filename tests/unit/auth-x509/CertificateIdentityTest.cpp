// SPDX-License-Identifier: GPL-2.0-or-later
// IDs from and against certificates: leftid=, the peer's ID payload, rightid=, and how a DN is
// shown (the mesh guide's `C=US, ST=NC, O=Example Organization, CN=east`).
#include "CertificateIdentity.hpp"
#include "X509Fixtures.hpp"

namespace ikemesh::authx509::testing {
namespace {

const std::string kEast = "C=US, ST=NC, O=Example Organization, CN=east";

TEST(CertificateIdentity, SubjectIsShownInDerOrderLikeLibreswan) {
  auto east = certificate("east");
  EXPECT_EQ(displayName(east->subject), kEast);
  EXPECT_EQ(displayName(east->issuer), "C=US, O=Example Organization, CN=Example CA");
}

TEST(CertificateIdentity, LeftIdDefaultsToTheSubjectAsDerAsn1Dn) {
  auto east = certificate("east");
  for (const std::optional<std::string>& leftid :
       {std::optional<std::string>{}, std::optional<std::string>{"%fromcert"},
        std::optional<std::string>{kEast}}) {
    auto id = localIdentity(east.get(), leftid);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->type, IdType::DerAsn1Dn);
    EXPECT_EQ(id->data,
              std::vector<std::uint8_t>(east->derSubject.data, east->derSubject.data + east->derSubject.len));
    EXPECT_EQ(displayIdentity(*id), kEast);
  }
}

TEST(CertificateIdentity, LeftIdFqdnAndAddress) {
  auto east = certificate("east");
  auto fqdn = localIdentity(east.get(), "@east.example.com");
  ASSERT_TRUE(fqdn);
  EXPECT_EQ(fqdn->type, IdType::Fqdn);
  EXPECT_EQ(displayIdentity(*fqdn), "@east.example.com");
  auto address = localIdentity(east.get(), "192.0.2.1");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->type, IdType::Ipv4Address);
  EXPECT_EQ(displayIdentity(*address), "192.0.2.1");
}

TEST(CertificateIdentity, LeftIdDnOfAnotherSubjectIsAnError) {
  auto east = certificate("east");
  auto id = localIdentity(east.get(), "C=US, ST=NC, O=Example Organization, CN=west");
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find(kEast), std::string::npos) << id.error().message;
}

TEST(CertificateIdentity, PeerIdMustBeTheSubjectOrASubjectAltName) {
  auto east = certificate("east");
  auto west = certificate("west");
  auto eastDn = *localIdentity(east.get(), std::nullopt);
  EXPECT_TRUE(identityMatchesCertificate(eastDn, east.get()));
  EXPECT_FALSE(identityMatchesCertificate(eastDn, west.get()));
  EXPECT_TRUE(identityMatchesCertificate(*localIdentity(east.get(), "@east.example.com"), east.get()));
  EXPECT_FALSE(identityMatchesCertificate(*localIdentity(east.get(), "@west.example.com"), east.get()));
  EXPECT_FALSE(identityMatchesCertificate(Identity{IdType::DerAsn1Dn, {0x30, 0x03, 0x01}}, east.get()));
}

TEST(CertificateIdentity, RightIdMatchesSubjectInEitherOrderOrAltName) {
  auto east = certificate("east");
  EXPECT_TRUE(configuredIdMatchesCertificate(std::nullopt, east.get()));
  EXPECT_TRUE(configuredIdMatchesCertificate("%fromcert", east.get()));
  EXPECT_TRUE(configuredIdMatchesCertificate(kEast, east.get()));
  EXPECT_TRUE(configuredIdMatchesCertificate("CN=east,O=Example Organization,ST=NC,C=US", east.get()));
  EXPECT_TRUE(configuredIdMatchesCertificate("c=US,st=NC,o=Example Organization,cn=east", east.get()));
  EXPECT_TRUE(configuredIdMatchesCertificate("@east.example.com", east.get()));
  EXPECT_FALSE(configuredIdMatchesCertificate("C=US, ST=NC, O=Example Organization, CN=west", east.get()));
  EXPECT_FALSE(configuredIdMatchesCertificate("C=US, O=Example Organization, CN=east", east.get()));
  EXPECT_FALSE(configuredIdMatchesCertificate("@west.example.com", east.get()));
}

}  // namespace
}  // namespace ikemesh::authx509::testing
