// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace ikemesh::ike {

/// RFC 7296 §3.10.1 Notify Message Types and the later IANA registrations the engine meets.
/// Values below 16384 report errors, values from 16384 on report status. Any 16-bit value can
/// be held (the decoder keeps types it does not name).
enum class NotifyType : std::uint16_t {
  // Errors
  UnsupportedCriticalPayload = 1,
  InvalidIkeSpi = 4,
  InvalidMajorVersion = 5,
  InvalidSyntax = 7,
  InvalidMessageId = 9,
  InvalidSpi = 11,
  NoProposalChosen = 14,
  InvalidKePayload = 17,
  AuthenticationFailed = 24,
  SinglePairRequired = 34,
  NoAdditionalSas = 35,
  InternalAddressFailure = 36,
  FailedCpRequired = 37,
  TsUnacceptable = 38,
  InvalidSelectors = 39,
  UnacceptableAddresses = 40,  // RFC 4555
  UnexpectedNatDetected = 41,  // RFC 4555
  UseAssignedHoa = 42,         // RFC 5026
  TemporaryFailure = 43,
  ChildSaNotFound = 44,
  // Status
  InitialContact = 16384,
  SetWindowSize = 16385,
  AdditionalTsPossible = 16386,
  IpcompSupported = 16387,
  NatDetectionSourceIp = 16388,
  NatDetectionDestinationIp = 16389,
  Cookie = 16390,
  UseTransportMode = 16391,
  HttpCertLookupSupported = 16392,
  RekeySa = 16393,
  EspTfcPaddingNotSupported = 16394,
  NonFirstFragmentsAlso = 16395,
  MobikeSupported = 16396,  // RFC 4555
  AdditionalIp4Address = 16397,
  AdditionalIp6Address = 16398,
  NoAdditionalAddresses = 16399,
  UpdateSaAddresses = 16400,
  Cookie2 = 16401,
  NoNatsAllowed = 16402,
  AuthLifetime = 16403,           // RFC 4478
  MultipleAuthSupported = 16404,  // RFC 4739
  AnotherAuthFollows = 16405,
  RedirectSupported = 16406,  // RFC 5685
  Redirect = 16407,
  RedirectedFrom = 16408,
  TicketLtOpaque = 16409,  // RFC 5723
  TicketRequest = 16410,
  TicketAck = 16411,
  TicketNack = 16412,
  TicketOpaque = 16413,
  LinkId = 16414,                       // RFC 5739
  UseWespMode = 16415,                  // RFC 5840
  RohcSupported = 16416,                // RFC 5857
  EapOnlyAuthentication = 16417,        // RFC 5998
  ChildlessIkev2Supported = 16418,      // RFC 6023
  QuickCrashDetection = 16419,          // RFC 6290
  Ikev2MessageIdSyncSupported = 16420,  // RFC 6311
  IpsecReplayCounterSyncSupported = 16421,
  Ikev2MessageIdSync = 16422,
  IpsecReplayCounterSync = 16423,
  SecurePasswordMethods = 16424,  // RFC 6467
  PskPersist = 16425,             // RFC 6631
  PskConfirm = 16426,
  ErxSupported = 16427,    // RFC 6867
  IfomCapability = 16428,  // 3GPP
  SenderRequestId = 16429,
  Ikev2FragmentationSupported = 16430,  // RFC 7383
  SignatureHashAlgorithms = 16431,      // RFC 7427
  CloneIkeSaSupported = 16432,          // RFC 7791
  CloneIkeSa = 16433,
  Puzzle = 16434,  // RFC 8019
  UsePpk = 16435,  // RFC 8784
  PpkIdentity = 16436,
  NoPpkAuth = 16437,
  IntermediateExchangeSupported = 16438,  // RFC 9242
};

/// True for the error range (1..16383, RFC 7296 §3.10.1).
inline bool isErrorNotify(NotifyType type) {
  return static_cast<std::uint16_t>(type) < 16384;
}

/// The IANA name: "NAT_DETECTION_SOURCE_IP"; "UNKNOWN_NOTIFY_<n>" for a type without a name.
std::string notifyTypeName(NotifyType type);

/// A short log name in strongSwan's style: "NATD_S_IP", "FRAG_SUP"; the number for a type
/// without a name.
std::string notifyTypeShortName(NotifyType type);

}  // namespace ikemesh::ike
