// SPDX-License-Identifier: GPL-2.0-or-later
// DNS zones in memory, signed by ldns as the tests say, and a DnsTransport that answers from
// them the way an authoritative server does: the RRset with its RRSIGs; for a missing name or
// type NXDOMAIN / NODATA with the SOA and the zone's NSEC or NSEC3 records (the validator must
// find the one that proves it); DS from the parent's side of a cut.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "DnsTransport.hpp"
#include "LdnsHandles.hpp"
#include "ZoneKey.hpp"

namespace ikemesh::authdnssec::testing {

struct LdnsZoneFree {
  void operator()(ldns_zone* z) const { ldns_zone_deep_free(z); }
};
using LdnsZone = std::unique_ptr<ldns_zone, LdnsZoneFree>;

enum class Denial { Nsec, Nsec3 };

/// `text` in zone-file syntax (with $ORIGIN) signed with `key` for [inception, expiration];
/// `key == nullptr` leaves the zone unsigned.
LdnsZone makeZone(const std::string& text, const ZoneKey* key, std::time_t inception, std::time_t expiration,
                  Denial denial = Denial::Nsec);

class ZoneTransport final : public DnsTransport {
 public:
  void serve(LdnsZone zone) { zones_.push_back(std::move(zone)); }
  /// Every query fails as a timeout does.
  void breakDown() { broken_ = true; }
  Result<LdnsPacket> query(const std::string& name, ldns_rr_type type) override;
  std::size_t queries() const { return queries_; }

 private:
  const ldns_zone* zoneFor(const ldns_rdf* name, ldns_rr_type type) const;
  std::vector<LdnsZone> zones_;
  bool broken_ = false;
  std::size_t queries_ = 0;
};

}  // namespace ikemesh::authdnssec::testing
