// SPDX-License-Identifier: GPL-2.0-or-later
// The data model of RFC 7296 §3.3-§3.16 and RFC 7383 §2.5 payloads. Plain values with ==, so
// that decode(encode(m)) == m can be checked. Lengths, counts and next-payload fields are not
// stored: the encoder computes them and the decoder checks them.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include <ikemesh/net.hpp>

#include "ike/message/IkeConstants.hpp"
#include "ike/message/NotifyType.hpp"
#include "ike/message/PayloadType.hpp"

namespace ikemesh::ike {

using Bytes = std::vector<std::uint8_t>;

/// RFC 7296 §3.3.5 Data Attribute. TV form (AF bit set) carries a 16-bit value in place; TLV
/// form carries a variable-length value.
struct TransformAttribute {
  enum class Format : std::uint8_t { TypeValue, TypeLengthValue };

  std::uint16_t type = 0;  ///< 15 bits, without the AF bit
  Format format = Format::TypeValue;
  std::uint16_t shortValue = 0;  ///< the value of a TV attribute (0 for TLV)
  Bytes longValue;               ///< the value of a TLV attribute (empty for TV)

  /// The Key Length attribute (type 14, always TV, RFC 7296 §3.3.5), in bits.
  static TransformAttribute keyLength(std::uint16_t bits) {
    return {static_cast<std::uint16_t>(TransformAttributeType::KeyLength), Format::TypeValue, bits, {}};
  }

  friend bool operator==(const TransformAttribute&, const TransformAttribute&) = default;
};

/// RFC 7296 §3.3.2 Transform Substructure.
struct Transform {
  TransformType type = TransformType::Encryption;
  std::uint16_t id = 0;  ///< Transform ID, in the space of `type`
  std::vector<TransformAttribute> attributes;

  /// The Key Length attribute's value in bits, when present.
  std::optional<std::uint16_t> keyLength() const {
    for (const auto& attribute : attributes)
      if (attribute.type == static_cast<std::uint16_t>(TransformAttributeType::KeyLength) &&
          attribute.format == TransformAttribute::Format::TypeValue)
        return attribute.shortValue;
    return std::nullopt;
  }

  friend bool operator==(const Transform&, const Transform&) = default;
};

/// RFC 7296 §3.3.1 Proposal Substructure.
struct Proposal {
  /// 1, 2, 3... in an offer; the number of the accepted proposal in an answer.
  std::uint8_t number = 1;
  ProtocolId protocol = ProtocolId::Ike;
  /// Empty for IKE in IKE_SA_INIT, 8 octets for an IKE SA rekey, 4 for AH/ESP.
  Bytes spi;
  std::vector<Transform> transforms;

  friend bool operator==(const Proposal&, const Proposal&) = default;
};

/// RFC 7296 §3.3: one or more proposals.
struct SecurityAssociationPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SecurityAssociationPayload&, const SecurityAssociationPayload&) = default;
};

/// RFC 7296 §3.4.
struct KeyExchangePayload {
  std::uint16_t group = 0;  ///< the Diffie-Hellman / key exchange method number
  Bytes keyData;
  friend bool operator==(const KeyExchangePayload&, const KeyExchangePayload&) = default;
};

/// RFC 7296 §3.5 (IDi and IDr share the format; Payload::type tells which).
struct IdentificationPayload {
  IdType type = IdType::Fqdn;
  Bytes data;
  friend bool operator==(const IdentificationPayload&, const IdentificationPayload&) = default;
};

/// RFC 7296 §3.6.
struct CertificatePayload {
  CertificateEncoding encoding = CertificateEncoding::X509Signature;
  Bytes data;
  friend bool operator==(const CertificatePayload&, const CertificatePayload&) = default;
};

/// RFC 7296 §3.7: for X.509, `authorities` concatenates SHA-1 hashes of trusted CA keys.
struct CertificateRequestPayload {
  CertificateEncoding encoding = CertificateEncoding::X509Signature;
  Bytes authorities;
  friend bool operator==(const CertificateRequestPayload&, const CertificateRequestPayload&) = default;
};

/// RFC 7296 §3.8.
struct AuthenticationPayload {
  AuthMethod method = AuthMethod::DigitalSignature;
  Bytes data;
  friend bool operator==(const AuthenticationPayload&, const AuthenticationPayload&) = default;
};

/// RFC 7296 §3.9: 16 to 256 octets.
struct NoncePayload {
  Bytes nonce;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

/// RFC 7296 §3.10. Without an SPI the protocol id is meaningless and kept as None.
struct NotifyPayload {
  ProtocolId protocol = ProtocolId::None;
  Bytes spi;  ///< empty, or 4 octets for AH/ESP, 8 for IKE
  NotifyType type = NotifyType::InitialContact;
  Bytes data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

/// RFC 7296 §3.11. An IKE SA delete carries no SPI; an AH/ESP delete carries 4-octet SPIs
/// (in network order here read as numbers).
struct DeletePayload {
  ProtocolId protocol = ProtocolId::Ike;
  std::vector<std::uint32_t> spis;
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

/// RFC 7296 §3.12.
struct VendorIdPayload {
  Bytes id;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

/// RFC 7296 §3.13 (TSi and TSr share the format; Payload::type tells which). Each selector's
/// start and end addresses have the same family, which gives its TS Type (7 or 8).
struct TrafficSelectorPayload {
  std::vector<TrafficSelector> selectors;
  friend bool operator==(const TrafficSelectorPayload&, const TrafficSelectorPayload&) = default;
};

/// RFC 7296 §3.14. The codec never decrypts: `body` is IV + ciphertext + ICV, and the type of the
/// first payload inside is what the SK header's Next Payload field says.
struct EncryptedPayload {
  PayloadType firstInnerPayload = PayloadType::None;
  Bytes body;
  friend bool operator==(const EncryptedPayload&, const EncryptedPayload&) = default;
};

/// RFC 7296 §3.15.1 Configuration Attribute.
struct ConfigurationAttribute {
  std::uint16_t type = 0;  ///< 15 bits; the reserved top bit is ignored on receipt
  Bytes value;
  friend bool operator==(const ConfigurationAttribute&, const ConfigurationAttribute&) = default;
};

/// RFC 7296 §3.15.
struct ConfigurationPayload {
  ConfigurationType type = ConfigurationType::Request;
  std::vector<ConfigurationAttribute> attributes;
  friend bool operator==(const ConfigurationPayload&, const ConfigurationPayload&) = default;
};

/// RFC 7296 §3.16: a whole EAP message, passed through unparsed (its own Length is checked).
struct EapPayload {
  Bytes message;
  friend bool operator==(const EapPayload&, const EapPayload&) = default;
};

/// RFC 7383 §2.5. Like SK, the body is IV + ciphertext + ICV of one fragment. Only fragment 1
/// names the first inner payload; the others carry None.
struct EncryptedFragmentPayload {
  std::uint16_t fragmentNumber = 1;
  std::uint16_t totalFragments = 1;
  PayloadType firstInnerPayload = PayloadType::None;
  Bytes body;
  friend bool operator==(const EncryptedFragmentPayload&, const EncryptedFragmentPayload&) = default;
};

using PayloadBody =
    std::variant<SecurityAssociationPayload, KeyExchangePayload, IdentificationPayload, CertificatePayload,
                 CertificateRequestPayload, AuthenticationPayload, NoncePayload, NotifyPayload, DeletePayload,
                 VendorIdPayload, TrafficSelectorPayload, EncryptedPayload, ConfigurationPayload, EapPayload,
                 EncryptedFragmentPayload>;

/// One payload of a chain. `type` must agree with `body` (IDi/IDr and TSi/TSr share a body
/// type, so the type is stored, not derived). The critical bit is not stored: RFC 7296 §2.5
/// has it sent as zero for every payload this codec knows, and ignored on receipt.
struct Payload {
  PayloadType type = PayloadType::None;
  PayloadBody body;

  /// The body as T, or nullptr when it holds another kind.
  template <typename T>
  const T* as() const {
    return std::get_if<T>(&body);
  }

  friend bool operator==(const Payload&, const Payload&) = default;
};

/// Whether `body` is the kind of payload `type` names (for building messages by hand).
bool bodyMatchesType(PayloadType type, const PayloadBody& body);

}  // namespace ikemesh::ike
