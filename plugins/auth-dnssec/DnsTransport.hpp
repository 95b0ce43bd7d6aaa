// SPDX-License-Identifier: GPL-2.0-or-later
// Where the validator's questions go: the configured resolver, or zone data in a test.
#pragma once

#include <string>

#include <ikemesh/result.hpp>

#include "LdnsHandles.hpp"

namespace ikemesh::authdnssec {

class DnsTransport {
 public:
  virtual ~DnsTransport() = default;
  /// The answer to `name` `type` (class IN) with its DNSSEC records (EDNS DO bit), or an error
  /// naming the server and why there is no answer. Blocking: call it on a worker thread.
  virtual Result<LdnsPacket> query(const std::string& name, ldns_rr_type type) = 0;
};

}  // namespace ikemesh::authdnssec
