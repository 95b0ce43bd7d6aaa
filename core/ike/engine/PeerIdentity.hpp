// SPDX-License-Identifier: GPL-2.0-or-later
// rightid= as the engine checks it against the peer's IDi/IDr (RFC 7296 §3.5), and identities
// written out for log lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <ikemesh/auth.hpp>

namespace ikemesh::ike {

/// The identity rightid= names when the engine can compare it octet for octet: %null (ID_NULL),
/// an address (ID_IPV4_ADDR, ID_IPV6_ADDR), @fqdn (ID_FQDN), user@domain (ID_RFC822_ADDR).
/// Empty, %any, %fromcert and a distinguished name give nullopt: any ID is taken here, and the
/// auth plugin checks a DN against the certificate (auth-x509 reads rightid= itself).
std::optional<Identity> identityFromConfig(std::string_view rightid);

/// "@gw.example", "192.0.2.1", "user@example", "ID_NULL", or the type and length of others.
std::string describeIdentity(const Identity& id);

}  // namespace ikemesh::ike
