// SPDX-License-Identifier: GPL-2.0-or-later
// The IPSECKEY resource record, RFC 4025 §2: its RDATA decoded from wire form, and the public
// key it carries as a SubjectPublicKeyInfo that NSS can import. Pure functions over octets
// from the network: every length is checked, nothing is trusted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh::authdnssec {

/// RFC 4025 §2.4 public key algorithms; ECDSA (3) is registered by RFC 8005 §9 (IANA
/// "IPSECKEY Resource Record Parameters").
enum class IpsecKeyAlgorithm : std::uint8_t { None = 0, Dsa = 1, Rsa = 2, Ecdsa = 3 };

/// One IPSECKEY record's RDATA.
struct IpsecKeyRecord {
  std::uint8_t precedence = 0;   ///< §2.2: lower is tried first
  std::uint8_t gatewayType = 0;  ///< §2.3: 0 none, 1 IPv4, 2 IPv6, 3 domain name
  IpsecKeyAlgorithm algorithm = IpsecKeyAlgorithm::None;
  std::vector<std::uint8_t> gateway;    ///< the gateway field as sent (unused: OE is host to host)
  std::vector<std::uint8_t> publicKey;  ///< §2.6: RFC 3110 for RSA; for ECDSA the point
                                        ///< Q = x|y as DNSKEY has it (RFC 6605 §4)
};

/// Decodes RFC 4025 §2.1 RDATA; the error names the field that does not fit.
Result<IpsecKeyRecord> parseIpsecKeyRdata(std::span<const std::uint8_t> rdata);

/// Encodes a record with no gateway (RFC 4025 §2.3 type 0), the form we publish.
std::vector<std::uint8_t> encodeIpsecKeyRdata(const IpsecKeyRecord& record);

/// The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of the record's key: RSA from the RFC 3110
/// exponent and modulus, ECDSA P-256 / P-384 from the RFC 6605 point. DSA and unknown
/// algorithms are refused.
Result<std::vector<std::uint8_t>> subjectPublicKeyInfo(const IpsecKeyRecord& record);

/// The RFC 3110 §2 public key field of an RSA key: exponent length, exponent, modulus.
std::vector<std::uint8_t> rsaPublicKeyField(std::span<const std::uint8_t> modulus,
                                            std::span<const std::uint8_t> exponent);

/// The owner names the key of a peer is published under: `7.1.15.10.in-addr.arpa.` and the
/// nibble form under `ip6.arpa.` (RFC 3596 §2.5) for an address; an FQDN ID as it is, with a
/// trailing dot.
std::string reverseName(std::span<const std::uint8_t> address);

}  // namespace ikemesh::authdnssec
