// SPDX-License-Identifier: GPL-2.0-or-later
// DNSSEC validation (RFC 4033-4035, NSEC3 RFC 5155) of one RRset, from the configured trust
// anchors down: the answer's RRSIG with its signer's DNSKEY set, that DNSKEY set with a key
// the anchor names or one its parent's DS records name, and so on up to an anchor. A missing
// record counts only when NSEC or NSEC3 records, validated the same way, prove it. ldns does
// the cryptography and the denial arithmetic; the chain and the verdicts are ours, so that a
// refusal can say which link failed and why.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <ikemesh/result.hpp>

#include "DnsTransport.hpp"
#include "LdnsHandles.hpp"

namespace ikemesh::authdnssec {

/// What validation concluded, in the words a log line uses (verdictName()).
enum class Verdict : std::uint8_t {
  Secure,        ///< the chain holds: the records may be used
  NoSuchRecord,  ///< securely proven not to exist (NSEC / NSEC3)
  Unsigned,      ///< no RRSIG where one is needed (an unsigned zone or record)
  Bogus,         ///< a signature, a key or a denial does not check out, or no anchor covers it
  Expired,       ///< a signature's expiration is past (RFC 4034 §3.1.5)
  NotYetValid,   ///< a signature's inception is in the future
  Unreachable,   ///< no usable answer from the server
};

std::string_view verdictName(Verdict verdict);

/// The outcome of one lookup; `rdatas` and `ttl` only for Secure.
struct Validation {
  Verdict verdict = Verdict::Bogus;
  std::string reason;
  std::vector<std::vector<std::uint8_t>> rdatas;  ///< wire RDATA of each record of the RRset
  std::uint32_t ttl = 0;                          ///< the smallest TTL of the records and RRSIGs

  bool secure() const { return verdict == Verdict::Secure; }
};

/// Trust anchors (DS or DNSKEY records) in zone-file syntax, one per line; `;` comments and
/// blank lines skipped. The error names `source:line` and why.
Result<LdnsRrList> parseTrustAnchors(const std::string& text, const std::string& source);

/// Validates answers that `transport` gives at time `now` against `anchors`. One validator per
/// lookup (it caches the keys of the zones it has seen). Not thread-safe; blocking.
class DnssecValidator {
 public:
  DnssecValidator(DnsTransport& transport, const ldns_rr_list* anchors, std::time_t now);

  /// Looks `name` `type` up and validates the answer.
  Validation lookup(const std::string& name, ldns_rr_type type);

 private:
  struct ZoneKeys {
    Verdict verdict = Verdict::Bogus;
    std::string reason;
    LdnsRrList keys;  ///< the zone's validated DNSKEY set
  };

  /// `signedBelow`: the RRset belongs to the zone `owner` cuts (DS, and the NSEC proving no DS),
  /// so its signer must be strictly above `owner` (RFC 4035 §5.2).
  Validation validate(const ldns_rdf* owner, ldns_rr_type type, int depth, bool signedBelow);
  Validation checkSignatures(const ldns_rr_list* rrset, const ldns_rr_list* signatures, int depth,
                             bool signedBelow, const std::string& what);
  Validation checkDenial(ldns_pkt* packet, const ldns_rdf* owner, ldns_rr_type type, int depth,
                         bool signedBelow, const std::string& what);
  const ZoneKeys& zoneKeys(const ldns_rdf* zone, int depth);
  ZoneKeys loadZoneKeys(const ldns_rdf* zone, int depth);

  DnsTransport& transport_;
  const ldns_rr_list* anchors_;
  std::time_t now_;
  std::map<std::string, ZoneKeys> zones_;
};

/// The presentation form of an ldns name or type, for messages.
std::string nameText(const ldns_rdf* name);
std::string typeText(ldns_rr_type type);

}  // namespace ikemesh::authdnssec
