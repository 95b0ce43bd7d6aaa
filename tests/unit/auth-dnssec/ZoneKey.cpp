// SPDX-License-Identifier: GPL-2.0-or-later
#include "ZoneKey.hpp"

namespace ikemesh::authdnssec::testing {

ZoneKey::ZoneKey(const std::string& origin)
    : key_(ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256)) {
  ldns_key_set_pubkey_owner(key_, ldns_dname_new_frm_str(origin.c_str()));
  ldns_key_set_flags(key_, LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY);
  // The RRSIGs name the key by its tag (RFC 4034 Appendix B), which ldns leaves to us.
  LdnsRr rr(ldns_key2rr(key_));
  ldns_key_set_keytag(key_, ldns_calc_keytag(rr.get()));
}

ZoneKey::~ZoneKey() {
  ldns_key_deep_free(key_);
}

LdnsRr ZoneKey::dnskey() const {
  return LdnsRr(ldns_key2rr(key_));
}

LdnsRr ZoneKey::ds() const {
  LdnsRr key = dnskey();
  return LdnsRr(ldns_key_rr2ds(key.get(), LDNS_SHA256));
}

}  // namespace ikemesh::authdnssec::testing
