// SPDX-License-Identifier: GPL-2.0-or-later
#include "ZoneTransport.hpp"

#include <cstdio>

namespace ikemesh::authdnssec::testing {

LdnsZone makeZone(const std::string& text, const ZoneKey* key, std::time_t inception, std::time_t expiration,
                  Denial denial) {
  FILE* file = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  ldns_zone* parsed = nullptr;
  const ldns_status status = ldns_zone_new_frm_fp(&parsed, file, nullptr, 300, LDNS_RR_CLASS_IN);
  std::fclose(file);
  if (status != LDNS_STATUS_OK) return nullptr;
  LdnsZone zone(parsed);
  if (!key) return zone;
  ldns_zone_push_rr(zone.get(), key->dnskey().release());
  ldns_key_set_inception(key->get(), static_cast<std::uint32_t>(inception));
  ldns_key_set_expiration(key->get(), static_cast<std::uint32_t>(expiration));
  // The list only borrows the key: ZoneKey frees it.
  ldns_key_list* keys = ldns_key_list_new();
  ldns_key_list_push_key(keys, key->get());
  LdnsZone signedZone(denial == Denial::Nsec ? ldns_zone_sign(zone.get(), keys)
                                             : ldns_zone_sign_nsec3(zone.get(), keys, 1, 0, 0, 0, nullptr));
  ldns_key_list_set_key_count(keys, 0);
  ldns_key_list_free(keys);
  return signedZone;
}

const ldns_zone* ZoneTransport::zoneFor(const ldns_rdf* name, ldns_rr_type type) const {
  const ldns_zone* best = nullptr;
  std::size_t bestLabels = 0;
  for (const auto& zone : zones_) {
    const ldns_rdf* apex = ldns_rr_owner(ldns_zone_soa(zone.get()));
    const bool atApex = ldns_dname_compare(apex, name) == 0;
    // RFC 4035 §3.1.4.1: the DS of a cut lives on the parent's side.
    if (atApex && type == LDNS_RR_TYPE_DS) continue;
    if (!atApex && !ldns_dname_is_subdomain(name, apex)) continue;
    const std::size_t labels = ldns_dname_label_count(apex);
    if (!best || labels > bestLabels) {
      best = zone.get();
      bestLabels = labels;
    }
  }
  return best;
}

Result<LdnsPacket> ZoneTransport::query(const std::string& name, ldns_rr_type type) {
  ++queries_;
  if (broken_) return fail("no answer from the DNS server (test): timed out");
  LdnsRdf owner(ldns_dname_new_frm_str(name.c_str()));
  LdnsPacket packet(ldns_pkt_new());
  ldns_pkt_set_qr(packet.get(), true);
  const ldns_zone* zone = owner ? zoneFor(owner.get(), type) : nullptr;
  if (!zone) {
    ldns_pkt_set_rcode(packet.get(), LDNS_RCODE_REFUSED);
    return packet;
  }
  const ldns_rr_list* records = ldns_zone_rrs(zone);
  bool nameExists = false;
  bool answered = false;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(records, i);
    if (ldns_dname_compare(ldns_rr_owner(rr), owner.get()) != 0) continue;
    nameExists = true;
    const ldns_rr_type rrType = ldns_rr_get_type(rr);
    const bool covers =
        rrType == LDNS_RR_TYPE_RRSIG && ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type;
    if (rrType == type || covers) {
      ldns_pkt_push_rr(packet.get(), LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
      answered = answered || rrType == type;
    }
  }
  const ldns_rr* soa = ldns_zone_soa(zone);
  if (ldns_dname_compare(ldns_rr_owner(soa), owner.get()) == 0) {
    nameExists = true;
    if (type == LDNS_RR_TYPE_SOA) {
      ldns_pkt_push_rr(packet.get(), LDNS_SECTION_ANSWER, ldns_rr_clone(soa));
      answered = true;
    }
  }
  if (answered) return packet;
  ldns_pkt_set_rcode(packet.get(), nameExists ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN);
  ldns_pkt_push_rr(packet.get(), LDNS_SECTION_AUTHORITY, ldns_rr_clone(soa));
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(records, i);
    const ldns_rr_type rrType = ldns_rr_get_type(rr);
    const bool proof = rrType == LDNS_RR_TYPE_NSEC || rrType == LDNS_RR_TYPE_NSEC3;
    const bool proofSignature = rrType == LDNS_RR_TYPE_RRSIG &&
                                (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_NSEC ||
                                 ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_NSEC3);
    if (proof || proofSignature) ldns_pkt_push_rr(packet.get(), LDNS_SECTION_AUTHORITY, ldns_rr_clone(rr));
  }
  return packet;
}

}  // namespace ikemesh::authdnssec::testing
