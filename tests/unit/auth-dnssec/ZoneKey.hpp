// SPDX-License-Identifier: GPL-2.0-or-later
// A zone's signing key made by ldns for the tests, with its DNSKEY and DS records.
#pragma once

#include <string>

#include "LdnsHandles.hpp"

namespace ikemesh::authdnssec::testing {

/// A signing key for one zone (a KSK and ZSK in one: flags 257).
class ZoneKey {
 public:
  explicit ZoneKey(const std::string& origin);
  ~ZoneKey();
  ZoneKey(const ZoneKey&) = delete;
  ZoneKey& operator=(const ZoneKey&) = delete;
  /// The DNSKEY record (a copy the caller owns).
  LdnsRr dnskey() const;
  /// Its DS record with SHA-256 (RFC 4509), as a trust anchor or a parent holds it.
  LdnsRr ds() const;
  ldns_key* get() const { return key_; }

 private:
  ldns_key* key_;
};

}  // namespace ikemesh::authdnssec::testing
