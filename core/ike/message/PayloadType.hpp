// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace ikemesh::ike {

/// RFC 7296 §3.2 payload type values (and RFC 7383 §2.5 for SKF). None ends a payload chain.
enum class PayloadType : std::uint8_t {
  None = 0,
  SecurityAssociation = 33,  ///< SA
  KeyExchange = 34,          ///< KE
  IdInitiator = 35,          ///< IDi
  IdResponder = 36,          ///< IDr
  Certificate = 37,          ///< CERT
  CertificateRequest = 38,   ///< CERTREQ
  Authentication = 39,       ///< AUTH
  Nonce = 40,                ///< Ni, Nr
  Notify = 41,               ///< N
  Delete = 42,               ///< D
  VendorId = 43,             ///< V
  TsInitiator = 44,          ///< TSi
  TsResponder = 45,          ///< TSr
  Encrypted = 46,            ///< SK
  Configuration = 47,        ///< CP
  Eap = 48,                  ///< EAP
  EncryptedFragment = 53,    ///< SKF (RFC 7383)
};

/// Whether the codec understands the payload type (unknown ones are skipped, or reported when
/// their critical bit is set, RFC 7296 §2.5).
bool isKnownPayloadType(std::uint8_t type);

/// The RFC's short name: "SA", "KE", "IDi", "Nonce", "Notify", "SK", "SKF"; "payload type 99"
/// for values the codec does not know.
std::string payloadTypeName(PayloadType type);

}  // namespace ikemesh::ike
