// SPDX-License-Identifier: GPL-2.0-or-later
#include "DnssecValidator.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace ikemesh::authdnssec {

namespace {

constexpr int kMaxChainLength = 16;

std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// The records of `section` with owner `owner` and type `type` (clones), never null.
LdnsRrList recordsOf(const ldns_pkt* packet, const ldns_rdf* owner, ldns_rr_type type,
                     ldns_pkt_section section) {
  LdnsRrList out(ldns_rr_list_new());
  const ldns_rr_list* all =
      section == LDNS_SECTION_ANSWER ? ldns_pkt_answer(packet) : ldns_pkt_authority(packet);
  for (std::size_t i = 0; all && i < ldns_rr_list_rr_count(all); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(all, i);
    if (ldns_rr_get_type(rr) != type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) continue;
    if (owner && ldns_dname_compare(ldns_rr_owner(rr), owner) != 0) continue;
    ldns_rr_list_push_rr(out.get(), ldns_rr_clone(rr));
  }
  return out;
}

/// The RRSIGs of `section` over `covered` at `owner` (RFC 4034 §3.1.1 Type Covered).
LdnsRrList signaturesOf(const ldns_pkt* packet, const ldns_rdf* owner, ldns_rr_type covered,
                        ldns_pkt_section section) {
  LdnsRrList all = recordsOf(packet, owner, LDNS_RR_TYPE_RRSIG, section);
  LdnsRrList out(ldns_rr_list_new());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(all.get()); ++i) {
    const ldns_rr* sig = ldns_rr_list_rr(all.get(), i);
    const ldns_rdf* type = ldns_rr_rrsig_typecovered(sig);
    if (type && ldns_rdf2rr_type(type) == covered) ldns_rr_list_push_rr(out.get(), ldns_rr_clone(sig));
  }
  return out;
}

bool sameRdata(const ldns_rr* a, const ldns_rr* b) {
  if (ldns_rr_rd_count(a) != ldns_rr_rd_count(b)) return false;
  for (std::size_t i = 0; i < ldns_rr_rd_count(a); ++i)
    if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0) return false;
  return true;
}

std::vector<std::uint8_t> rdataWire(const ldns_rr* rr) {
  LdnsBuffer buffer(ldns_buffer_new(LDNS_MAX_PACKETLEN));
  if (!buffer || ldns_rr_rdata2buffer_wire(buffer.get(), rr) != LDNS_STATUS_OK) return {};
  const auto* begin = ldns_buffer_begin(buffer.get());
  return {begin, begin + ldns_buffer_position(buffer.get())};
}

/// The key tags (RFC 4034 Appendix B) of DNSKEY records, or the ones DS records name.
std::string keyTags(const ldns_rr_list* keys) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(keys); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(keys, i);
    const unsigned tag = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS && ldns_rr_rd_count(rr) > 0
                             ? ldns_rdf2native_int16(ldns_rr_rdf(rr, 0))
                             : ldns_calc_keytag(rr);
    out += (out.empty() ? "" : ", ") + std::to_string(tag);
  }
  return out.empty() ? "none" : out;
}

std::string expiryText(const ldns_rr* sig) {
  const ldns_rdf* expiration = ldns_rr_rrsig_expiration(sig);
  const ldns_rdf* inception = ldns_rr_rrsig_inception(sig);
  if (!expiration || !inception) return "";
  char* from = ldns_rdf2str(inception);
  char* to = ldns_rdf2str(expiration);
  std::string out = std::string(" (valid ") + (from ? from : "?") + " to " + (to ? to : "?") + ")";
  free(from);
  free(to);
  return out;
}

/// RFC 4035 §5.3.1: the signer must be the RRset's zone: the owner or one of its ancestors;
/// strictly above it for the records at a zone cut that belong to the parent.
bool signerMayCover(const ldns_rdf* signer, const ldns_rdf* owner, bool signedBelow) {
  if (!signedBelow && ldns_dname_compare(signer, owner) == 0) return true;
  return ldns_dname_is_subdomain(owner, signer);
}

/// RFC 5155 §8.5: NODATA is proven by the NSEC3 whose owner is the hash of the name, when its
/// type bitmap has neither the type nor CNAME. (ldns 1.8's own check of this case leaks the
/// hashed name, so we do it here with its pieces.)
ldns_status nsec3NoData(const ldns_rr_list* proofs, const ldns_rdf* owner, ldns_rr_type type) {
  const ldns_rr* first = ldns_rr_list_rr(proofs, 0);
  LdnsRdf hashed(ldns_nsec3_hash_name_frm_nsec3(first, owner));
  LdnsRdf zone(ldns_dname_left_chop(ldns_rr_owner(first)));
  if (!hashed || !zone || ldns_dname_cat(hashed.get(), zone.get()) != LDNS_STATUS_OK)
    return LDNS_STATUS_NSEC3_ERR;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(proofs); ++i) {
    const ldns_rr* proof = ldns_rr_list_rr(proofs, i);
    if (ldns_dname_compare(hashed.get(), ldns_rr_owner(proof)) != 0) continue;
    const ldns_rdf* bitmap = ldns_nsec3_bitmap(proof);
    if (!bitmap) return LDNS_STATUS_NSEC3_ERR;
    const bool listed = ldns_nsec_bitmap_covers_type(bitmap, type) ||
                        ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_CNAME);
    return listed ? LDNS_STATUS_DNSSEC_NSEC_RR_NOT_COVERED : LDNS_STATUS_OK;
  }
  return LDNS_STATUS_DNSSEC_NSEC3_ORIGINAL_NOT_FOUND;
}

/// Which failure a log line should name when several signatures fail: a time problem is more
/// telling than "bogus".
int specificity(Verdict verdict) {
  switch (verdict) {
    case Verdict::Expired:
    case Verdict::NotYetValid: return 4;
    case Verdict::Bogus: return 3;
    case Verdict::Unreachable: return 2;
    case Verdict::Unsigned: return 1;
    default: return 0;
  }
}

Validation failure(Verdict verdict, std::string reason) {
  Validation v;
  v.verdict = verdict;
  v.reason = std::move(reason);
  return v;
}

Validation keepMoreSpecific(Validation current, Validation candidate) {
  return specificity(candidate.verdict) >= specificity(current.verdict) ? std::move(candidate)
                                                                        : std::move(current);
}

/// A failed signature check, in our verdicts.
Validation signatureFailure(ldns_status status, const ldns_rr* sig, const std::string& what) {
  const std::string tag =
      " (key tag " + std::to_string(ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig))) + ")";
  switch (status) {
    case LDNS_STATUS_CRYPTO_SIG_EXPIRED:
      return failure(Verdict::Expired, "the RRSIG over " + what + tag + " has expired" + expiryText(sig));
    case LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED:
      return failure(Verdict::NotYetValid,
                     "the RRSIG over " + what + tag + " is not valid yet" + expiryText(sig));
    default:
      return failure(Verdict::Bogus,
                     "the RRSIG over " + what + tag + " does not verify: " + ldns_get_errorstr_by_id(status));
  }
}

std::uint32_t smallestTtl(const ldns_rr_list* a, const ldns_rr_list* b) {
  std::uint32_t ttl = UINT32_MAX;
  for (const ldns_rr_list* list : {a, b})
    for (std::size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i)
      ttl = std::min(ttl, ldns_rr_ttl(ldns_rr_list_rr(list, i)));
  return ttl == UINT32_MAX ? 0 : ttl;
}

}  // namespace

std::string_view verdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::Secure: return "secure";
    case Verdict::NoSuchRecord: return "no such record";
    case Verdict::Unsigned: return "unsigned";
    case Verdict::Bogus: return "bogus";
    case Verdict::Expired: return "expired";
    case Verdict::NotYetValid: return "not yet valid";
    case Verdict::Unreachable: return "unreachable";
  }
  return "?";
}

std::string nameText(const ldns_rdf* name) {
  char* text = name ? ldns_rdf2str(name) : nullptr;
  std::string out = text ? text : "?";
  free(text);
  return out;
}

std::string typeText(ldns_rr_type type) {
  char* text = ldns_rr_type2str(type);
  std::string out = text ? text : "?";
  free(text);
  return out;
}

Result<LdnsRrList> parseTrustAnchors(const std::string& text, const std::string& source) {
  LdnsRrList anchors(ldns_rr_list_new());
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == ';' || line[first] == '#') continue;
    ldns_rr* rr = nullptr;
    const ldns_status status = ldns_rr_new_frm_str(&rr, line.c_str(), 3600, nullptr, nullptr);
    LdnsRr owned(rr);
    const std::string where = source + ":" + std::to_string(number);
    if (status != LDNS_STATUS_OK || !rr)
      return fail(where + ": not a DS or DNSKEY record: " + ldns_get_errorstr_by_id(status));
    const ldns_rr_type type = ldns_rr_get_type(rr);
    if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY)
      return fail(where + ": a " + typeText(type) + " record; a trust anchor is a DS or a DNSKEY record");
    ldns_rr_list_push_rr(anchors.get(), owned.release());
  }
  if (ldns_rr_list_rr_count(anchors.get()) == 0) return fail(source + ": no DS or DNSKEY record");
  return anchors;
}

DnssecValidator::DnssecValidator(DnsTransport& transport, const ldns_rr_list* anchors, std::time_t now)
    : transport_(transport), anchors_(anchors), now_(now) {}

Validation DnssecValidator::lookup(const std::string& name, ldns_rr_type type) {
  LdnsRdf owner(ldns_dname_new_frm_str(name.c_str()));
  if (!owner) return failure(Verdict::Bogus, "'" + name + "' is not a domain name");
  return validate(owner.get(), type, 0, false);
}

Validation DnssecValidator::validate(const ldns_rdf* owner, ldns_rr_type type, int depth, bool signedBelow) {
  const std::string what = typeText(type) + " " + nameText(owner);
  if (depth > kMaxChainLength) return failure(Verdict::Bogus, what + ": the chain of trust is too long");
  auto packet = transport_.query(nameText(owner), type);
  if (!packet) return failure(Verdict::Unreachable, what + ": " + packet.error().message);
  const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(packet->get());
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
    char* text = ldns_pkt_rcode2str(rcode);
    Validation v =
        failure(Verdict::Unreachable, what + ": the server answered " + std::string(text ? text : "?"));
    free(text);
    return v;
  }
  LdnsRrList rrset = recordsOf(packet->get(), owner, type, LDNS_SECTION_ANSWER);
  if (ldns_rr_list_rr_count(rrset.get()) == 0)
    return checkDenial(packet->get(), owner, type, depth, signedBelow, what);
  LdnsRrList signatures = signaturesOf(packet->get(), owner, type, LDNS_SECTION_ANSWER);
  if (ldns_rr_list_rr_count(signatures.get()) == 0)
    return failure(Verdict::Unsigned, what + " carries no RRSIG (an unsigned zone or record)");
  Validation v = checkSignatures(rrset.get(), signatures.get(), depth, signedBelow, what);
  if (!v.secure()) return v;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrset.get()); ++i)
    v.rdatas.push_back(rdataWire(ldns_rr_list_rr(rrset.get(), i)));
  v.ttl = smallestTtl(rrset.get(), signatures.get());
  return v;
}

Validation DnssecValidator::checkSignatures(const ldns_rr_list* rrset, const ldns_rr_list* signatures,
                                            int depth, bool signedBelow, const std::string& what) {
  const ldns_rdf* owner = ldns_rr_owner(ldns_rr_list_rr(rrset, 0));
  Validation best = failure(Verdict::Unsigned, what + " carries no usable RRSIG");
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(signatures); ++i) {
    const ldns_rr* sig = ldns_rr_list_rr(signatures, i);
    const ldns_rdf* signer = ldns_rr_rrsig_signame(sig);
    if (!signer || !signerMayCover(signer, owner, signedBelow)) {
      best =
          keepMoreSpecific(std::move(best), failure(Verdict::Bogus, "the RRSIG over " + what + " is by " +
                                                                        nameText(signer) + ", not its zone"));
      continue;
    }
    const ZoneKeys& keys = zoneKeys(signer, depth + 1);
    if (keys.verdict != Verdict::Secure) {
      best = keepMoreSpecific(std::move(best), failure(keys.verdict, what + ": " + keys.reason));
      continue;
    }
    const ldns_status status = ldns_verify_rrsig_keylist_time(rrset, sig, keys.keys.get(), now_, nullptr);
    if (status == LDNS_STATUS_OK) {
      Validation v;
      v.verdict = Verdict::Secure;
      v.reason = what + " is signed by " + nameText(signer) + " (key tag " +
                 std::to_string(ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig))) + ")";
      return v;
    }
    best = keepMoreSpecific(std::move(best), signatureFailure(status, sig, what));
  }
  return best;
}

Validation DnssecValidator::checkDenial(ldns_pkt* packet, const ldns_rdf* owner, ldns_rr_type type, int depth,
                                        bool signedBelow, const std::string& what) {
  // RFC 4035 §5.4: "no such record" counts only when NSEC or NSEC3 records prove it.
  const bool nsec3 =
      ldns_rr_list_rr_count(recordsOf(packet, nullptr, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY).get());
  const ldns_rr_type proofType = nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
  LdnsRrList proofs = recordsOf(packet, nullptr, proofType, LDNS_SECTION_AUTHORITY);
  if (ldns_rr_list_rr_count(proofs.get()) == 0) {
    // A signed zone must prove it (RFC 4035 §3.1.3); only an unsigned one may just say so.
    LdnsRrList soa = recordsOf(packet, nullptr, LDNS_RR_TYPE_SOA, LDNS_SECTION_AUTHORITY);
    if (ldns_rr_list_rr_count(soa.get()) > 0) {
      const ldns_rdf* zone = ldns_rr_owner(ldns_rr_list_rr(soa.get(), 0));
      if (signerMayCover(zone, owner, false) && zoneKeys(zone, depth + 1).verdict == Verdict::Secure)
        return failure(Verdict::Bogus, what + ": no such record, says the signed zone " + nameText(zone) +
                                           ", but no NSEC or NSEC3 proves it");
    }
    return failure(Verdict::Unsigned,
                   what + ": no such record, and no NSEC or NSEC3 proves it (an unsigned zone)");
  }
  LdnsRrList allSignatures(ldns_rr_list_new());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(proofs.get()); ++i) {
    const ldns_rr* proof = ldns_rr_list_rr(proofs.get(), i);
    LdnsRrList single(ldns_rr_list_new());
    ldns_rr_list_push_rr(single.get(), ldns_rr_clone(proof));
    LdnsRrList signatures = signaturesOf(packet, ldns_rr_owner(proof), proofType, LDNS_SECTION_AUTHORITY);
    const std::string proofWhat = typeText(proofType) + " " + nameText(ldns_rr_owner(proof));
    if (ldns_rr_list_rr_count(signatures.get()) == 0)
      return failure(Verdict::Unsigned, what + ": " + proofWhat + " carries no RRSIG");
    // The proof is signed by the zone that holds `owner` (or, at a cut, the parent's).
    Validation checked = checkSignatures(single.get(), signatures.get(), depth, false, proofWhat);
    if (!checked.secure()) {
      checked.reason = what + ": denial of existence: " + checked.reason;
      return checked;
    }
    if (signedBelow) {
      const ldns_rdf* signer = ldns_rr_rrsig_signame(ldns_rr_list_rr(signatures.get(), 0));
      if (!ldns_dname_is_subdomain(owner, signer))
        return failure(Verdict::Bogus, what + ": the proof that there is none comes from " +
                                           nameText(signer) + ", the zone below the cut");
    }
    for (std::size_t s = 0; s < ldns_rr_list_rr_count(signatures.get()); ++s)
      ldns_rr_list_push_rr(allSignatures.get(), ldns_rr_clone(ldns_rr_list_rr(signatures.get(), s)));
  }
  LdnsRr question(ldns_rr_new());
  ldns_rr_set_owner(question.get(), ldns_rdf_clone(owner));
  ldns_rr_set_type(question.get(), type);
  ldns_rr_set_class(question.get(), LDNS_RR_CLASS_IN);
  const bool noData = ldns_pkt_get_rcode(packet) == LDNS_RCODE_NOERROR;
  const ldns_status status =
      !nsec3 ? ldns_dnssec_verify_denial(question.get(), proofs.get(), allSignatures.get())
      : noData && type != LDNS_RR_TYPE_DS
          ? nsec3NoData(proofs.get(), owner, type)
          : ldns_dnssec_verify_denial_nsec3(question.get(), proofs.get(), allSignatures.get(),
                                            ldns_pkt_get_rcode(packet), type, true);
  if (status != LDNS_STATUS_OK)
    return failure(Verdict::Bogus,
                   what + ": the " + typeText(proofType) +
                       " records do not prove that there is none: " + ldns_get_errorstr_by_id(status));
  return failure(Verdict::NoSuchRecord,
                 what + ": there is no such record (proven by " + typeText(proofType) + ")");
}

const DnssecValidator::ZoneKeys& DnssecValidator::zoneKeys(const ldns_rdf* zone, int depth) {
  const std::string key = lowercase(nameText(zone));
  if (auto it = zones_.find(key); it != zones_.end()) return it->second;
  // A chain that comes back to this zone while its keys are being checked is a loop.
  zones_[key] = ZoneKeys{Verdict::Bogus, "the chain of trust of " + key + " loops back to itself", nullptr};
  zones_[key] = loadZoneKeys(zone, depth);
  return zones_[key];
}

DnssecValidator::ZoneKeys DnssecValidator::loadZoneKeys(const ldns_rdf* zone, int depth) {
  const std::string zoneName = nameText(zone);
  if (depth > kMaxChainLength)
    return {Verdict::Bogus, "the chain of trust above " + zoneName + " is too long", nullptr};
  auto packet = transport_.query(zoneName, LDNS_RR_TYPE_DNSKEY);
  if (!packet) return {Verdict::Unreachable, "DNSKEY " + zoneName + ": " + packet.error().message, nullptr};
  LdnsRrList keys = recordsOf(packet->get(), zone, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
  if (ldns_rr_list_rr_count(keys.get()) == 0)
    return {Verdict::Unsigned, "the zone " + zoneName + " publishes no DNSKEY (an unsigned zone)", nullptr};
  LdnsRrRefs entry(ldns_rr_list_new());
  LdnsRrRefs anchorsHere(ldns_rr_list_new());
  for (std::size_t a = 0; anchors_ && a < ldns_rr_list_rr_count(anchors_); ++a)
    if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(anchors_, a)), zone) == 0)
      ldns_rr_list_push_rr(anchorsHere.get(), ldns_rr_list_rr(anchors_, a));
  LdnsRrList parentDs;
  const ldns_rr_list* trustedBy = anchorsHere.get();
  std::string trustedByText = "its trust anchor (dnssec-anchors=)";
  if (ldns_rr_list_rr_count(anchorsHere.get()) == 0) {
    if (ldns_dname_label_count(zone) == 0)
      return {Verdict::Bogus, "no trust anchor covers the zone " + zoneName + " (dnssec-anchors=)", nullptr};
    Validation ds = validate(zone, LDNS_RR_TYPE_DS, depth + 1, true);
    if (ds.verdict == Verdict::NoSuchRecord)
      return {Verdict::Unsigned, "the zone " + zoneName + " is an insecure delegation: " + ds.reason,
              nullptr};
    if (!ds.secure()) return {ds.verdict, "the DS of " + zoneName + ": " + ds.reason, nullptr};
    auto again = transport_.query(zoneName, LDNS_RR_TYPE_DS);
    if (!again) return {Verdict::Unreachable, "DS " + zoneName + ": " + again.error().message, nullptr};
    parentDs = recordsOf(again->get(), zone, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER);
    trustedBy = parentDs.get();
    trustedByText = "the DS records of its parent";
  }
  for (std::size_t k = 0; k < ldns_rr_list_rr_count(keys.get()); ++k) {
    ldns_rr* dnskey = ldns_rr_list_rr(keys.get(), k);
    for (std::size_t t = 0; t < ldns_rr_list_rr_count(trustedBy); ++t) {
      const ldns_rr* trusted = ldns_rr_list_rr(trustedBy, t);
      const bool matches = ldns_rr_get_type(trusted) == LDNS_RR_TYPE_DS ? ldns_rr_compare_ds(trusted, dnskey)
                                                                        : sameRdata(trusted, dnskey);
      if (matches) {
        ldns_rr_list_push_rr(entry.get(), dnskey);
        break;
      }
    }
  }
  if (ldns_rr_list_rr_count(entry.get()) == 0)
    return {Verdict::Bogus,
            "no DNSKEY of " + zoneName + " (key tags " + keyTags(keys.get()) + ") matches " + trustedByText +
                " (key tags " + keyTags(trustedBy) + ")",
            nullptr};
  LdnsRrList signatures = signaturesOf(packet->get(), zone, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
  const std::string what = "the DNSKEY set of " + zoneName;
  if (ldns_rr_list_rr_count(signatures.get()) == 0)
    return {Verdict::Unsigned, what + " carries no RRSIG", nullptr};
  Validation best = failure(Verdict::Bogus, what + " is not signed by a trusted key");
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(signatures.get()); ++i) {
    const ldns_rr* sig = ldns_rr_list_rr(signatures.get(), i);
    const ldns_status status = ldns_verify_rrsig_keylist_time(keys.get(), sig, entry.get(), now_, nullptr);
    if (status == LDNS_STATUS_OK) return {Verdict::Secure, what + " is trusted", std::move(keys)};
    best = keepMoreSpecific(std::move(best), signatureFailure(status, sig, what));
  }
  return {best.verdict, best.reason, nullptr};
}

}  // namespace ikemesh::authdnssec
