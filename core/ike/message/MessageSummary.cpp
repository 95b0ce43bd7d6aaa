// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/MessageSummary.hpp"

namespace ikemesh::ike {

namespace {

std::string payloadToken(const Payload& payload) {
  if (const auto* notify = payload.as<NotifyPayload>()) return "N(" + notifyTypeShortName(notify->type) + ")";
  if (const auto* fragment = payload.as<EncryptedFragmentPayload>())
    return "SKF(" + std::to_string(fragment->fragmentNumber) + "/" +
           std::to_string(fragment->totalFragments) + ")";
  if (const auto* cp = payload.as<ConfigurationPayload>()) {
    switch (cp->type) {
      case ConfigurationType::Request: return "CPRQ";
      case ConfigurationType::Reply: return "CPRP";
      case ConfigurationType::Set: return "CPS";
      case ConfigurationType::Ack: return "CPA";
    }
    return "CP";
  }
  switch (payload.type) {
    case PayloadType::Nonce: return "No";
    case PayloadType::Delete: return "D";
    case PayloadType::VendorId: return "V";
    default: return payloadTypeName(payload.type);
  }
}

std::string headline(const IkeHeader& header) {
  return exchangeTypeName(header.exchangeType) + (header.response ? " response " : " request ") +
         std::to_string(header.messageId);
}

}  // namespace

std::string exchangeTypeName(ExchangeType type) {
  switch (type) {
    case ExchangeType::IkeSaInit: return "IKE_SA_INIT";
    case ExchangeType::IkeAuth: return "IKE_AUTH";
    case ExchangeType::CreateChildSa: return "CREATE_CHILD_SA";
    case ExchangeType::Informational: return "INFORMATIONAL";
  }
  return "exchange type " + std::to_string(static_cast<unsigned>(type));
}

std::string summarizePayloads(std::span<const Payload> payloads) {
  std::string text;
  for (const auto& payload : payloads) {
    if (!text.empty()) text += ' ';
    text += payloadToken(payload);
  }
  return text;
}

std::string summarize(const Message& message) {
  std::string list = summarizePayloads(message.payloads);
  return headline(message.header) + " [ " + list + (list.empty() ? "]" : " ]");
}

std::string summarize(const Message& message, std::span<const Payload> decryptedInner) {
  std::string list;
  for (const auto& payload : message.payloads) {
    std::string part =
        payload.type == PayloadType::Encrypted ? summarizePayloads(decryptedInner) : payloadToken(payload);
    if (part.empty()) continue;
    if (!list.empty()) list += ' ';
    list += part;
  }
  return headline(message.header) + " [ " + list + (list.empty() ? "]" : " ]");
}

}  // namespace ikemesh::ike
