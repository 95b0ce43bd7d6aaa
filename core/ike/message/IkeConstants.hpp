// SPDX-License-Identifier: GPL-2.0-or-later
// The small IKEv2 number spaces the codec names (IANA "IKEv2 Parameters"). Enumerations with a
// fixed underlying type, so that a value the peer sent and we do not name still round-trips.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ikemesh::ike {

/// RFC 7296 §3.1: the fixed IKE header.
inline constexpr std::size_t kIkeHeaderLength = 28;
/// RFC 7296 §3.2: Next Payload, C + RESERVED, Payload Length.
inline constexpr std::size_t kGenericPayloadHeaderLength = 4;
/// RFC 7383 §2.5: the generic header plus Fragment Number and Total Fragments.
inline constexpr std::size_t kEncryptedFragmentHeaderLength = 8;
/// RFC 7296 §2.10: nonces are at least 16 and at most 256 octets.
inline constexpr std::size_t kMinNonceLength = 16;
inline constexpr std::size_t kMaxNonceLength = 256;

/// RFC 7296 §3.1 Exchange Type. Only 34-37 are accepted by the decoder.
enum class ExchangeType : std::uint8_t {
  IkeSaInit = 34,
  IkeAuth = 35,
  CreateChildSa = 36,
  Informational = 37,
};

/// RFC 7296 §3.3.1 Protocol ID (also used by Notify §3.10 and Delete §3.11). None (0) is only
/// valid in a Notify without SPI.
enum class ProtocolId : std::uint8_t {
  None = 0,
  Ike = 1,
  Ah = 2,
  Esp = 3,
};

/// RFC 7296 §3.3.2 Transform Type.
enum class TransformType : std::uint8_t {
  Encryption = 1,
  PseudoRandomFunction = 2,
  Integrity = 3,
  KeyExchange = 4,  ///< "Diffie-Hellman group" in RFC 7296
  ExtendedSequenceNumbers = 5,
};

/// RFC 7296 §3.3.5 transform attribute types. Key Length is the only one IKEv2 defines.
enum class TransformAttributeType : std::uint16_t {
  KeyLength = 14,
};

/// RFC 7296 §3.5 ID Type, plus ID_NULL (RFC 7619).
enum class IdType : std::uint8_t {
  Ipv4Address = 1,
  Fqdn = 2,
  Rfc822Address = 3,
  Ipv6Address = 5,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
  Null = 13,
};

/// RFC 7296 §3.6 Certificate Encoding (also §3.7), plus Raw Public Key (RFC 7670).
enum class CertificateEncoding : std::uint8_t {
  Pkcs7WrappedX509 = 1,
  X509Signature = 4,
  Crl = 7,
  RawRsaKey = 11,
  HashAndUrlX509 = 12,
  HashAndUrlX509Bundle = 13,
  RawPublicKey = 14,
};

/// RFC 7296 §3.8 Auth Method, plus RFC 4754, RFC 7619 and RFC 7427.
enum class AuthMethod : std::uint8_t {
  RsaSignature = 1,
  SharedKeyMic = 2,
  DssSignature = 3,
  EcdsaSha256P256 = 9,
  EcdsaSha384P384 = 10,
  EcdsaSha512P521 = 11,
  Null = 13,
  DigitalSignature = 14,
};

/// RFC 7296 §3.15 CFG Type.
enum class ConfigurationType : std::uint8_t {
  Request = 1,
  Reply = 2,
  Set = 3,
  Ack = 4,
};

/// RFC 7296 §3.13.1 TS Type.
enum class TrafficSelectorType : std::uint8_t {
  Ipv4AddressRange = 7,
  Ipv6AddressRange = 8,
};

}  // namespace ikemesh::ike
