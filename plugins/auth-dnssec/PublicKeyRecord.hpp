// SPDX-License-Identifier: GPL-2.0-or-later
// The IPSECKEY record that publishes an NSS public key (RFC 4025 §2.6: RSA as RFC 3110, ECDSA
// P-256 / P-384 as RFC 6605's point), in wire form and in zone-file presentation (§3.1).
#pragma once

#include <string>

#include <ikemesh/result.hpp>

#include "IpsecKeyRecord.hpp"
#include "util/NssHandles.hpp"

namespace ikemesh::authdnssec {

/// The nickname of the node's host key in the NSS database: `ikemesh newhostkey` makes it,
/// auth-dnssec signs with it, `ikemesh showhostkey --ipseckey` publishes it.
inline constexpr const char* kHostKeyNickname = "ikemesh-hostkey";

/// The record for `key` with no gateway; RSA and ECDSA P-256 / P-384 keys only.
Result<IpsecKeyRecord> ipsecKeyRecordOf(SECKEYPublicKey* key, std::uint8_t precedence);

/// The RDATA in presentation form: `10 0 2 . AwEAAc...` (RFC 4025 §3.1).
std::string presentationOf(const IpsecKeyRecord& record);

/// Standard base64 (RFC 4648 §4), no line breaks.
std::string base64(std::span<const std::uint8_t> data);

}  // namespace ikemesh::authdnssec
