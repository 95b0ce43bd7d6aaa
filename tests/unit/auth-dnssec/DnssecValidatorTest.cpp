// SPDX-License-Identifier: GPL-2.0-or-later
// The validator's verdicts on zones that ldns signs in memory: a chain from an anchor on the
// parent through DS, each way it can break, and denial of existence with NSEC and NSEC3.
#include <gtest/gtest.h>

#include "DnssecValidator.hpp"
#include "IpsecKeyRecord.hpp"
#include "ZoneTransport.hpp"

namespace ikemesh::authdnssec {
namespace {

using testing::Denial;
using testing::makeZone;
using testing::ZoneKey;
using testing::ZoneTransport;

constexpr std::time_t kNow = 1'800'000'000;  // 2027-01-15
constexpr std::time_t kDay = 86400;
const char* kNode = "node1.mesh.test.";
// An ECDSA P-256 point (RFC 6605 §4) of 64 octets, as `10 0 3 . BASE64` publishes it.
const std::string kKeyBase64 =
    "2R782V3gPZeqpzTJV8WQkKj3NQ4rQPiFkCSPu4knY97Qkdt69bLB7/ltW4BdrpURI4zygghgaloht0l93XC+ig==";

std::string rrText(const ldns_rr* rr) {
  char* text = ldns_rr2str(rr);
  std::string out = text;
  free(text);
  return out;
}

std::string parentZone(const ZoneKey* child) {
  std::string text =
      "$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n@ IN NS ns.test.\n"
      "ns IN A 192.0.2.53\nmesh IN NS ns.test.\n";
  if (child) text += rrText(child->ds().get());
  return text;
}

std::string meshZone(const std::string& key = kKeyBase64) {
  return "$ORIGIN mesh.test.\n$TTL 300\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n@ IN NS "
         "ns.test.\n"
         "node1 IN IPSECKEY 10 0 3 . " +
         key + "\nnode3 IN A 10.15.1.3\n";
}

/// `test.` anchored by its DNSKEY, delegating securely (DS) to `mesh.test.`.
struct Mesh {
  ZoneKey parentKey{"test."};
  ZoneKey meshKey{"mesh.test."};
  ZoneTransport transport;
  LdnsRrList anchors{ldns_rr_list_new()};

  explicit Mesh(std::time_t inception = kNow - kDay, std::time_t expiration = kNow + 30 * kDay,
                Denial denial = Denial::Nsec, bool signMesh = true, bool delegateSecurely = true) {
    transport.serve(makeZone(parentZone(delegateSecurely ? &meshKey : nullptr), &parentKey, kNow - kDay,
                             kNow + 30 * kDay, denial));
    transport.serve(makeZone(meshZone(), signMesh ? &meshKey : nullptr, inception, expiration, denial));
    ldns_rr_list_push_rr(anchors.get(), parentKey.dnskey().release());
  }
  Validation lookup(const std::string& name = kNode, ldns_rr_type type = LDNS_RR_TYPE_IPSECKEY) {
    DnssecValidator validator(transport, anchors.get(), kNow);
    return validator.lookup(name, type);
  }
};

TEST(DnssecValidator, SecureThroughTheParentsDs) {
  Mesh mesh;
  auto v = mesh.lookup();
  ASSERT_EQ(v.verdict, Verdict::Secure) << v.reason;
  ASSERT_EQ(v.rdatas.size(), 1u);
  auto record = parseIpsecKeyRdata(v.rdatas[0]);
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->algorithm, IpsecKeyAlgorithm::Ecdsa);
  EXPECT_EQ(record->publicKey.size(), 64u);
  EXPECT_EQ(v.ttl, 300u);
  EXPECT_NE(v.reason.find("signed by mesh.test."), std::string::npos) << v.reason;
}

TEST(DnssecValidator, AnchorAsDsOnTheZoneItself) {
  Mesh mesh;
  mesh.anchors.reset(ldns_rr_list_new());
  ldns_rr_list_push_rr(mesh.anchors.get(), mesh.meshKey.ds().release());
  EXPECT_EQ(mesh.lookup().verdict, Verdict::Secure) << mesh.lookup().reason;
}

TEST(DnssecValidator, ExpiredSignaturesAreRefusedAsExpired) {
  Mesh mesh(kNow - 30 * kDay, kNow - kDay);
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::Expired) << v.reason;
  EXPECT_NE(v.reason.find("has expired"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, FutureSignaturesAreRefusedAsNotYetValid) {
  Mesh mesh(kNow + kDay, kNow + 30 * kDay);
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::NotYetValid) << v.reason;
  EXPECT_NE(v.reason.find("not valid yet"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, AKeyTheAnchorDoesNotNameIsBogus) {
  Mesh mesh;
  ZoneKey stranger("test.");
  mesh.anchors.reset(ldns_rr_list_new());
  ldns_rr_list_push_rr(mesh.anchors.get(), stranger.dnskey().release());
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::Bogus) << v.reason;
  EXPECT_NE(v.reason.find("matches its trust anchor"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, AChildKeyTheParentsDsDoesNotNameIsBogus) {
  Mesh mesh;
  ZoneKey other("mesh.test.");
  ZoneTransport transport;
  transport.serve(makeZone(parentZone(&other), &mesh.parentKey, kNow - kDay, kNow + kDay));
  transport.serve(makeZone(meshZone(), &mesh.meshKey, kNow - kDay, kNow + kDay));
  DnssecValidator validator(transport, mesh.anchors.get(), kNow);
  auto v = validator.lookup(kNode, LDNS_RR_TYPE_IPSECKEY);
  EXPECT_EQ(v.verdict, Verdict::Bogus) << v.reason;
  EXPECT_NE(v.reason.find("DS records of its parent"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, AnUnsignedZoneIsRefusedAsUnsigned) {
  Mesh mesh(kNow - kDay, kNow + kDay, Denial::Nsec, false);
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::Unsigned) << v.reason;
  EXPECT_NE(v.reason.find("carries no RRSIG"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, AnInsecureDelegationIsUnsigned) {
  Mesh mesh(kNow - kDay, kNow + kDay, Denial::Nsec, true, false);
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::Unsigned) << v.reason;
  EXPECT_NE(v.reason.find("insecure delegation"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, ATamperedRecordIsBogus) {
  Mesh mesh;
  // The same signed zone, with the IPSECKEY replaced by another key after signing.
  ZoneTransport transport;
  transport.serve(makeZone(parentZone(&mesh.meshKey), &mesh.parentKey, kNow - kDay, kNow + kDay));
  auto signedZone = makeZone(meshZone(), &mesh.meshKey, kNow - kDay, kNow + kDay);
  ldns_rr_list* rrs = ldns_zone_rrs(signedZone.get());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(rrs, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_IPSECKEY) continue;
    ldns_rr* forged = nullptr;
    std::string text =
        "node1.mesh.test. 300 IN IPSECKEY 10 0 3 . " + std::string(kKeyBase64).replace(0, 4, "AAAA");
    ASSERT_EQ(ldns_rr_new_frm_str(&forged, text.c_str(), 300, nullptr, nullptr), LDNS_STATUS_OK);
    ldns_rr_list_set_rr(rrs, forged, i);
    ldns_rr_free(rr);
  }
  transport.serve(std::move(signedZone));
  DnssecValidator validator(transport, mesh.anchors.get(), kNow);
  auto v = validator.lookup(kNode, LDNS_RR_TYPE_IPSECKEY);
  EXPECT_EQ(v.verdict, Verdict::Bogus) << v.reason;
  EXPECT_NE(v.reason.find("does not verify"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, AMissingNameIsProvenByNsec) {
  Mesh mesh;
  auto v = mesh.lookup("node2.mesh.test.");
  EXPECT_EQ(v.verdict, Verdict::NoSuchRecord) << v.reason;
  EXPECT_NE(v.reason.find("proven by NSEC"), std::string::npos) << v.reason;
  auto noData = mesh.lookup("node3.mesh.test.");  // the name exists, without IPSECKEY
  EXPECT_EQ(noData.verdict, Verdict::NoSuchRecord) << noData.reason;
}

TEST(DnssecValidator, AMissingNameIsProvenByNsec3) {
  Mesh mesh(kNow - kDay, kNow + 30 * kDay, Denial::Nsec3);
  EXPECT_EQ(mesh.lookup().verdict, Verdict::Secure) << mesh.lookup().reason;
  auto v = mesh.lookup("node2.mesh.test.");
  EXPECT_EQ(v.verdict, Verdict::NoSuchRecord) << v.reason;
  EXPECT_NE(v.reason.find("proven by NSEC3"), std::string::npos) << v.reason;
  auto noData = mesh.lookup("node3.mesh.test.");  // RFC 5155 §8.5: the name exists, no IPSECKEY
  EXPECT_EQ(noData.verdict, Verdict::NoSuchRecord) << noData.reason;
  // node3 has an A record: its NSEC3 lists A, so "no A" cannot be proven with it.
  auto hasA = mesh.lookup("node3.mesh.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(hasA.verdict, Verdict::Secure) << hasA.reason;
}

TEST(DnssecValidator, ASignedZoneThatOmitsTheProofIsBogus) {
  Mesh mesh;
  ZoneTransport transport;
  transport.serve(makeZone(parentZone(&mesh.meshKey), &mesh.parentKey, kNow - kDay, kNow + kDay));
  auto signedZone = makeZone(meshZone(), &mesh.meshKey, kNow - kDay, kNow + kDay);
  // Drop every NSEC (and its RRSIG): the server now says "no such name" without proof.
  ldns_rr_list* rrs = ldns_zone_rrs(signedZone.get());
  LdnsRrList kept(ldns_rr_list_new());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
    const bool nsec = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC ||
                      (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
                       ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_NSEC);
    if (!nsec) ldns_rr_list_push_rr(kept.get(), ldns_rr_clone(rr));
  }
  ldns_rr_list_deep_free(rrs);
  ldns_zone_set_rrs(signedZone.get(), kept.release());
  transport.serve(std::move(signedZone));
  DnssecValidator validator(transport, mesh.anchors.get(), kNow);
  auto v = validator.lookup("node2.mesh.test.", LDNS_RR_TYPE_IPSECKEY);
  EXPECT_EQ(v.verdict, Verdict::Bogus) << v.reason;
  EXPECT_NE(v.reason.find("no NSEC or NSEC3 proves it"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, NoTrustAnchorUpToTheRootIsBogus) {
  Mesh mesh;
  // The chain goes up to a root that delegates test. securely, but no anchor names any of it.
  ZoneKey root(".");
  mesh.transport.serve(
      makeZone("$ORIGIN .\n$TTL 300\n@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n"
               "@ IN NS ns.test.\ntest. IN NS ns.test.\n" +
                   rrText(mesh.parentKey.ds().get()),
               &root, kNow - kDay, kNow + kDay));
  ZoneKey elsewhere("example.");
  mesh.anchors.reset(ldns_rr_list_new());
  ldns_rr_list_push_rr(mesh.anchors.get(), elsewhere.dnskey().release());
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::Bogus) << v.reason;
  EXPECT_NE(v.reason.find("no trust anchor covers the zone ."), std::string::npos) << v.reason;
}

TEST(DnssecValidator, NoAnswerIsUnreachable) {
  Mesh mesh;
  mesh.transport.breakDown();
  auto v = mesh.lookup();
  EXPECT_EQ(v.verdict, Verdict::Unreachable) << v.reason;
  EXPECT_NE(v.reason.find("timed out"), std::string::npos) << v.reason;
}

TEST(DnssecValidator, KeysOfAZoneAreFetchedOncePerLookup) {
  Mesh mesh;
  DnssecValidator validator(mesh.transport, mesh.anchors.get(), kNow);
  ASSERT_TRUE(validator.lookup(kNode, LDNS_RR_TYPE_IPSECKEY).secure());
  const auto first = mesh.transport.queries();
  ASSERT_TRUE(validator.lookup(kNode, LDNS_RR_TYPE_IPSECKEY).secure());
  EXPECT_EQ(mesh.transport.queries() - first, 1u);  // only the IPSECKEY again
}

TEST(TrustAnchors, ParsesDsAndDnskeyLinesAndNamesTheBadLine) {
  auto good = parseTrustAnchors(
      "; the mesh\n\nmesh.test. IN DS 4393 13 2 "
      "f356e26deb887a1757cd4b4fecc28de11d6b82afebb73541418de4fb21634b51\n",
      "anchors");
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(ldns_rr_list_rr_count(good->get()), 1u);
  auto garbage = parseTrustAnchors("mesh.test. IN DS 4393 13 2 f356\nnot a record at all\n", "/etc/anchors");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message.rfind("/etc/anchors:2: not a DS or DNSKEY record", 0), 0u)
      << garbage.error().message;
  auto address = parseTrustAnchors("mesh.test. IN A 192.0.2.1\n", "anchors");
  ASSERT_FALSE(address);
  EXPECT_EQ(address.error().message, "anchors:1: a A record; a trust anchor is a DS or a DNSKEY record");
  EXPECT_FALSE(parseTrustAnchors("; nothing\n", "anchors"));
}

}  // namespace
}  // namespace ikemesh::authdnssec
