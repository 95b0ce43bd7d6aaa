// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/PayloadType.hpp"

namespace ikemesh::ike {

bool isKnownPayloadType(std::uint8_t type) {
  // 33..48 are RFC 7296's own payloads; 49..52 (GSPM, IDg, GSA, KD) and 54 (PS) belong to
  // extensions this codec does not implement, so they count as unknown.
  return (type >= 33 && type <= 48) || type == 53;
}

std::string payloadTypeName(PayloadType type) {
  switch (type) {
    case PayloadType::None: return "no next payload";
    case PayloadType::SecurityAssociation: return "SA";
    case PayloadType::KeyExchange: return "KE";
    case PayloadType::IdInitiator: return "IDi";
    case PayloadType::IdResponder: return "IDr";
    case PayloadType::Certificate: return "CERT";
    case PayloadType::CertificateRequest: return "CERTREQ";
    case PayloadType::Authentication: return "AUTH";
    case PayloadType::Nonce: return "Nonce";
    case PayloadType::Notify: return "Notify";
    case PayloadType::Delete: return "Delete";
    case PayloadType::VendorId: return "Vendor ID";
    case PayloadType::TsInitiator: return "TSi";
    case PayloadType::TsResponder: return "TSr";
    case PayloadType::Encrypted: return "SK";
    case PayloadType::Configuration: return "CP";
    case PayloadType::Eap: return "EAP";
    case PayloadType::EncryptedFragment: return "SKF";
  }
  return "payload type " + std::to_string(static_cast<unsigned>(type));
}

}  // namespace ikemesh::ike
