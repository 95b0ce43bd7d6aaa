// SPDX-License-Identifier: GPL-2.0-or-later
// Owning handles for ldns objects, so that every early return frees what it allocated.
#pragma once

// ldns/common.h defines bool, true and false as macros unless stdbool.h came first, which
// breaks every standard header included after it (clang); stdbool.h defines none in C++.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>

#include <memory>

namespace ikemesh::authdnssec {

struct LdnsPacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct LdnsRrListDeepFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
/// A list that only points at records another list owns.
struct LdnsRrListShallowFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_free(l); }
};
struct LdnsRrFree {
  void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct LdnsRdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct LdnsResolverFree {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
struct LdnsBufferFree {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};

using LdnsPacket = std::unique_ptr<ldns_pkt, LdnsPacketFree>;
using LdnsRrList = std::unique_ptr<ldns_rr_list, LdnsRrListDeepFree>;
using LdnsRrRefs = std::unique_ptr<ldns_rr_list, LdnsRrListShallowFree>;
using LdnsRr = std::unique_ptr<ldns_rr, LdnsRrFree>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsRdfFree>;
using LdnsResolver = std::unique_ptr<ldns_resolver, LdnsResolverFree>;
using LdnsBuffer = std::unique_ptr<ldns_buffer, LdnsBufferFree>;

}  // namespace ikemesh::authdnssec
