// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/NotifyType.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace ikemesh::ike {

namespace {

struct NotifyName {
  NotifyType type;
  std::string_view name;
  std::string_view shortName;
};

// Sorted by value, so that a lookup is a binary search.
constexpr std::array kNotifyNames = {
    NotifyName{NotifyType::UnsupportedCriticalPayload, "UNSUPPORTED_CRITICAL_PAYLOAD", "CRIT"},
    NotifyName{NotifyType::InvalidIkeSpi, "INVALID_IKE_SPI", "INVAL_IKE_SPI"},
    NotifyName{NotifyType::InvalidMajorVersion, "INVALID_MAJOR_VERSION", "INVAL_MAJOR"},
    NotifyName{NotifyType::InvalidSyntax, "INVALID_SYNTAX", "INVAL_SYN"},
    NotifyName{NotifyType::InvalidMessageId, "INVALID_MESSAGE_ID", "INVAL_MID"},
    NotifyName{NotifyType::InvalidSpi, "INVALID_SPI", "INVAL_SPI"},
    NotifyName{NotifyType::NoProposalChosen, "NO_PROPOSAL_CHOSEN", "NO_PROP"},
    NotifyName{NotifyType::InvalidKePayload, "INVALID_KE_PAYLOAD", "INVAL_KE"},
    NotifyName{NotifyType::AuthenticationFailed, "AUTHENTICATION_FAILED", "AUTH_FAILED"},
    NotifyName{NotifyType::SinglePairRequired, "SINGLE_PAIR_REQUIRED", "SINGLE_PAIR"},
    NotifyName{NotifyType::NoAdditionalSas, "NO_ADDITIONAL_SAS", "NO_ADD_SAS"},
    NotifyName{NotifyType::InternalAddressFailure, "INTERNAL_ADDRESS_FAILURE", "INT_ADDR_FAIL"},
    NotifyName{NotifyType::FailedCpRequired, "FAILED_CP_REQUIRED", "FAIL_CP_REQ"},
    NotifyName{NotifyType::TsUnacceptable, "TS_UNACCEPTABLE", "TS_UNACCEPT"},
    NotifyName{NotifyType::InvalidSelectors, "INVALID_SELECTORS", "INVAL_SEL"},
    NotifyName{NotifyType::UnacceptableAddresses, "UNACCEPTABLE_ADDRESSES", "UNACCEPT_ADDR"},
    NotifyName{NotifyType::UnexpectedNatDetected, "UNEXPECTED_NAT_DETECTED", "UNEXPECT_NAT"},
    NotifyName{NotifyType::UseAssignedHoa, "USE_ASSIGNED_HoA", "ASSIGNED_HoA"},
    NotifyName{NotifyType::TemporaryFailure, "TEMPORARY_FAILURE", "TEMP_FAIL"},
    NotifyName{NotifyType::ChildSaNotFound, "CHILD_SA_NOT_FOUND", "NO_CHILD_SA"},
    NotifyName{NotifyType::InitialContact, "INITIAL_CONTACT", "INIT_CONTACT"},
    NotifyName{NotifyType::SetWindowSize, "SET_WINDOW_SIZE", "SET_WINSIZE"},
    NotifyName{NotifyType::AdditionalTsPossible, "ADDITIONAL_TS_POSSIBLE", "ADD_TS_POSS"},
    NotifyName{NotifyType::IpcompSupported, "IPCOMP_SUPPORTED", "IPCOMP_SUP"},
    NotifyName{NotifyType::NatDetectionSourceIp, "NAT_DETECTION_SOURCE_IP", "NATD_S_IP"},
    NotifyName{NotifyType::NatDetectionDestinationIp, "NAT_DETECTION_DESTINATION_IP", "NATD_D_IP"},
    NotifyName{NotifyType::Cookie, "COOKIE", "COOKIE"},
    NotifyName{NotifyType::UseTransportMode, "USE_TRANSPORT_MODE", "USE_TRANSP"},
    NotifyName{NotifyType::HttpCertLookupSupported, "HTTP_CERT_LOOKUP_SUPPORTED", "HTTP_CERT_LOOK"},
    NotifyName{NotifyType::RekeySa, "REKEY_SA", "REKEY_SA"},
    NotifyName{NotifyType::EspTfcPaddingNotSupported, "ESP_TFC_PADDING_NOT_SUPPORTED", "ESP_TFC_PAD_N"},
    NotifyName{NotifyType::NonFirstFragmentsAlso, "NON_FIRST_FRAGMENTS_ALSO", "NON_FIRST_FRAG"},
    NotifyName{NotifyType::MobikeSupported, "MOBIKE_SUPPORTED", "MOBIKE_SUP"},
    NotifyName{NotifyType::AdditionalIp4Address, "ADDITIONAL_IP4_ADDRESS", "ADD_4_ADDR"},
    NotifyName{NotifyType::AdditionalIp6Address, "ADDITIONAL_IP6_ADDRESS", "ADD_6_ADDR"},
    NotifyName{NotifyType::NoAdditionalAddresses, "NO_ADDITIONAL_ADDRESSES", "NO_ADD_ADDR"},
    NotifyName{NotifyType::UpdateSaAddresses, "UPDATE_SA_ADDRESSES", "UPD_SA_ADDR"},
    NotifyName{NotifyType::Cookie2, "COOKIE2", "COOKIE2"},
    NotifyName{NotifyType::NoNatsAllowed, "NO_NATS_ALLOWED", "NO_NATS"},
    NotifyName{NotifyType::AuthLifetime, "AUTH_LIFETIME", "AUTH_LFT"},
    NotifyName{NotifyType::MultipleAuthSupported, "MULTIPLE_AUTH_SUPPORTED", "MULT_AUTH"},
    NotifyName{NotifyType::AnotherAuthFollows, "ANOTHER_AUTH_FOLLOWS", "AUTH_FOLLOWS"},
    NotifyName{NotifyType::RedirectSupported, "REDIRECT_SUPPORTED", "REDIR_SUP"},
    NotifyName{NotifyType::Redirect, "REDIRECT", "REDIR"},
    NotifyName{NotifyType::RedirectedFrom, "REDIRECTED_FROM", "REDIR_FROM"},
    NotifyName{NotifyType::TicketLtOpaque, "TICKET_LT_OPAQUE", "TKT_LT_OPAK"},
    NotifyName{NotifyType::TicketRequest, "TICKET_REQUEST", "TKT_REQ"},
    NotifyName{NotifyType::TicketAck, "TICKET_ACK", "TKT_ACK"},
    NotifyName{NotifyType::TicketNack, "TICKET_NACK", "TKT_NACK"},
    NotifyName{NotifyType::TicketOpaque, "TICKET_OPAQUE", "TKT_OPAK"},
    NotifyName{NotifyType::LinkId, "LINK_ID", "LINK_ID"},
    NotifyName{NotifyType::UseWespMode, "USE_WESP_MODE", "WESP_MODE"},
    NotifyName{NotifyType::RohcSupported, "ROHC_SUPPORTED", "ROHC_SUP"},
    NotifyName{NotifyType::EapOnlyAuthentication, "EAP_ONLY_AUTHENTICATION", "EAP_ONLY"},
    NotifyName{NotifyType::ChildlessIkev2Supported, "CHILDLESS_IKEV2_SUPPORTED", "CHDLESS_SUP"},
    NotifyName{NotifyType::QuickCrashDetection, "QUICK_CRASH_DETECTION", "QUICK_CRASH"},
    NotifyName{NotifyType::Ikev2MessageIdSyncSupported, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", "MID_SYNC_SUP"},
    NotifyName{NotifyType::IpsecReplayCounterSyncSupported, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
               "REPLAY_SYNC_SUP"},
    NotifyName{NotifyType::Ikev2MessageIdSync, "IKEV2_MESSAGE_ID_SYNC", "MID_SYNC"},
    NotifyName{NotifyType::IpsecReplayCounterSync, "IPSEC_REPLAY_COUNTER_SYNC", "REPLAY_SYNC"},
    NotifyName{NotifyType::SecurePasswordMethods, "SECURE_PASSWORD_METHODS", "SEC_PASSWD"},
    NotifyName{NotifyType::PskPersist, "PSK_PERSIST", "PSK_PST"},
    NotifyName{NotifyType::PskConfirm, "PSK_CONFIRM", "PSK_CFM"},
    NotifyName{NotifyType::ErxSupported, "ERX_SUPPORTED", "ERX_SUP"},
    NotifyName{NotifyType::IfomCapability, "IFOM_CAPABILITY", "IFOM_CAP"},
    NotifyName{NotifyType::SenderRequestId, "SENDER_REQUEST_ID", "SENDER_REQ_ID"},
    NotifyName{NotifyType::Ikev2FragmentationSupported, "IKEV2_FRAGMENTATION_SUPPORTED", "FRAG_SUP"},
    NotifyName{NotifyType::SignatureHashAlgorithms, "SIGNATURE_HASH_ALGORITHMS", "HASH_ALG"},
    NotifyName{NotifyType::CloneIkeSaSupported, "CLONE_IKE_SA_SUPPORTED", "CLONE_SUP"},
    NotifyName{NotifyType::CloneIkeSa, "CLONE_IKE_SA", "CLONE"},
    NotifyName{NotifyType::Puzzle, "PUZZLE", "PUZZLE"},
    NotifyName{NotifyType::UsePpk, "USE_PPK", "USE_PPK"},
    NotifyName{NotifyType::PpkIdentity, "PPK_IDENTITY", "PPK_ID"},
    NotifyName{NotifyType::NoPpkAuth, "NO_PPK_AUTH", "NO_PPK"},
    NotifyName{NotifyType::IntermediateExchangeSupported, "INTERMEDIATE_EXCHANGE_SUPPORTED", "IKE_INT_SUP"},
};

static_assert(std::is_sorted(kNotifyNames.begin(), kNotifyNames.end(),
                             [](const NotifyName& a, const NotifyName& b) { return a.type < b.type; }),
              "kNotifyNames must stay sorted by value");

const NotifyName* findNotifyName(NotifyType type) {
  auto it = std::lower_bound(kNotifyNames.begin(), kNotifyNames.end(), type,
                             [](const NotifyName& entry, NotifyType value) { return entry.type < value; });
  if (it == kNotifyNames.end() || it->type != type) return nullptr;
  return &*it;
}

}  // namespace

std::string notifyTypeName(NotifyType type) {
  if (const NotifyName* entry = findNotifyName(type)) return std::string(entry->name);
  return "UNKNOWN_NOTIFY_" + std::to_string(static_cast<unsigned>(type));
}

std::string notifyTypeShortName(NotifyType type) {
  if (const NotifyName* entry = findNotifyName(type)) return std::string(entry->shortName);
  return std::to_string(static_cast<unsigned>(type));
}

}  // namespace ikemesh::ike
