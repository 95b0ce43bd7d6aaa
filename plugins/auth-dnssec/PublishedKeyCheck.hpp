// SPDX-License-Identifier: GPL-2.0-or-later
// The peer's AUTH checked against the keys published for it: each IPSECKEY record, lowest
// precedence first (RFC 4025 §2.2), until one key verifies the signature (RFC 7296 §2.15 with
// the raw key; methods 1, 9-11 and RFC 7427's 14).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/auth.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh::authdnssec {

/// Succeeds with the peer's display ID when a record's key verifies `auth` over `signedOctets`;
/// otherwise the error says, for each record, why not ("bad signature: ..." when no key
/// verifies). `name` is the owner name, for messages. Thread-safe (NSS).
Result<void> verifyWithPublishedKeys(const std::vector<std::vector<std::uint8_t>>& rdatas,
                                     const AuthPayload& auth, std::span<const std::uint8_t> signedOctets,
                                     const std::string& name);

/// How status shows a raw-key peer's ID: the address, or `@name` for an FQDN (as Libreswan).
std::string displayIdentity(const Identity& id);

}  // namespace ikemesh::authdnssec
