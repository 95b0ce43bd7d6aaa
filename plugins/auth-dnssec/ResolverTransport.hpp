// SPDX-License-Identifier: GPL-2.0-or-later
// Questions over the network to one server (the plugin's dnssec-resolver=), with the DO bit and
// checking disabled (CD, RFC 4035 §3.2.2): we validate ourselves, so a validating resolver must
// hand us bogus answers too, for the log to say why they are bogus.
#pragma once

#include <chrono>

#include <ikemesh/net.hpp>

#include "DnsTransport.hpp"

namespace ikemesh::authdnssec {

/// One ldns resolver; use one per thread (ldns resolvers are not shared between threads).
class ResolverTransport final : public DnsTransport {
 public:
  static Result<std::unique_ptr<ResolverTransport>> create(const IpAddress& server, std::uint16_t port,
                                                           std::chrono::milliseconds timeout);
  Result<LdnsPacket> query(const std::string& name, ldns_rr_type type) override;

 private:
  ResolverTransport(LdnsResolver resolver, std::string server);
  LdnsResolver resolver_;
  std::string server_;
};

}  // namespace ikemesh::authdnssec
