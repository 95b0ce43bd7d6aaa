// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

bool bodyMatchesType(PayloadType type, const PayloadBody& body) {
  switch (type) {
    case PayloadType::SecurityAssociation: return std::holds_alternative<SecurityAssociationPayload>(body);
    case PayloadType::KeyExchange: return std::holds_alternative<KeyExchangePayload>(body);
    case PayloadType::IdInitiator:
    case PayloadType::IdResponder: return std::holds_alternative<IdentificationPayload>(body);
    case PayloadType::Certificate: return std::holds_alternative<CertificatePayload>(body);
    case PayloadType::CertificateRequest: return std::holds_alternative<CertificateRequestPayload>(body);
    case PayloadType::Authentication: return std::holds_alternative<AuthenticationPayload>(body);
    case PayloadType::Nonce: return std::holds_alternative<NoncePayload>(body);
    case PayloadType::Notify: return std::holds_alternative<NotifyPayload>(body);
    case PayloadType::Delete: return std::holds_alternative<DeletePayload>(body);
    case PayloadType::VendorId: return std::holds_alternative<VendorIdPayload>(body);
    case PayloadType::TsInitiator:
    case PayloadType::TsResponder: return std::holds_alternative<TrafficSelectorPayload>(body);
    case PayloadType::Encrypted: return std::holds_alternative<EncryptedPayload>(body);
    case PayloadType::Configuration: return std::holds_alternative<ConfigurationPayload>(body);
    case PayloadType::Eap: return std::holds_alternative<EapPayload>(body);
    case PayloadType::EncryptedFragment: return std::holds_alternative<EncryptedFragmentPayload>(body);
    case PayloadType::None: break;
  }
  return false;
}

}  // namespace ikemesh::ike
