// SPDX-License-Identifier: GPL-2.0-or-later
#include "ResolverTransport.hpp"

namespace ikemesh::authdnssec {

Result<std::unique_ptr<ResolverTransport>> ResolverTransport::create(const IpAddress& server,
                                                                     std::uint16_t port,
                                                                     std::chrono::milliseconds timeout) {
  LdnsResolver resolver(ldns_resolver_new());
  if (!resolver) return fail("DNS resolver: out of memory");
  LdnsRdf address(
      ldns_rdf_new_frm_str(server.isV4() ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, server.toString().c_str()));
  if (!address || ldns_resolver_push_nameserver(resolver.get(), address.get()) != LDNS_STATUS_OK)
    return fail("DNS resolver: cannot use the address " + server.toString());
  ldns_resolver_set_port(resolver.get(), port);
  ldns_resolver_set_dnssec(resolver.get(), true);
  ldns_resolver_set_dnssec_cd(resolver.get(), true);
  ldns_resolver_set_recursive(resolver.get(), true);
  ldns_resolver_set_fallback(resolver.get(), true);  // TCP when a signed answer is truncated
  ldns_resolver_set_retry(resolver.get(), 2);
  const auto ms = timeout.count();
  ldns_resolver_set_timeout(
      resolver.get(), timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)});
  return std::unique_ptr<ResolverTransport>(
      new ResolverTransport(std::move(resolver), server.toString() + " port " + std::to_string(port)));
}

ResolverTransport::ResolverTransport(LdnsResolver resolver, std::string server)
    : resolver_(std::move(resolver)), server_(std::move(server)) {}

Result<LdnsPacket> ResolverTransport::query(const std::string& name, ldns_rr_type type) {
  LdnsRdf owner(ldns_dname_new_frm_str(name.c_str()));
  if (!owner) return fail("'" + name + "' is not a domain name");
  ldns_pkt* answer = nullptr;
  const ldns_status status =
      ldns_resolver_send(&answer, resolver_.get(), owner.get(), type, LDNS_RR_CLASS_IN, LDNS_RD);
  LdnsPacket packet(answer);
  if (status != LDNS_STATUS_OK || !packet)
    return fail("no answer from the DNS server " + server_ + ": " + ldns_get_errorstr_by_id(status));
  return packet;
}

}  // namespace ikemesh::authdnssec
