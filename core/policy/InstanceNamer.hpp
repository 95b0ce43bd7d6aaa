// SPDX-License-Identifier: GPL-2.0-or-later
// Names of opportunistic instances, as Libreswan writes them in status and logs:
// "private#10.15.0.0/16"[1] ...10.15.1.7 — the template conn, '#', the group CIDR that
// matched, the instance's serial number within its template, and the peer.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <ikemesh/net.hpp>

namespace ikemesh::policy {

struct InstanceName {
  std::string templateName;
  IpPrefix groupPrefix;
  unsigned serial = 0;
  IpAddress peer;

  /// "private#10.15.0.0/16"[1] ...10.15.1.7
  std::string toString() const;
  /// private#10.15.0.0/16 — the part in quotes, which identifies the group entry.
  std::string connectionName() const;
};

/// Hands out instance serial numbers: per template, starting at 1, never reused while the
/// namer lives (a restarted instance gets a new number, as in Libreswan). Not thread-safe;
/// used from the main thread.
class InstanceNamer {
 public:
  InstanceName next(std::string_view templateName, const IpPrefix& groupPrefix, const IpAddress& peer);

 private:
  std::map<std::string, unsigned, std::less<>> lastSerial_;
};

}  // namespace ikemesh::policy
