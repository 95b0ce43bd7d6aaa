// SPDX-License-Identifier: GPL-2.0-or-later
// One-line descriptions of messages for the log, in the shape strongSwan made familiar:
//   IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]
// The caller adds the verb ("parsed", "generating") and the peer.
#pragma once

#include <span>
#include <string>

#include "ike/message/Message.hpp"

namespace ikemesh::ike {

/// "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL", or "exchange type 40".
std::string exchangeTypeName(ExchangeType type);

/// "<exchange> request|response <message id> [ <payloads> ]". An SK payload shows as "SK",
/// an SKF payload as "SKF(number/total)".
std::string summarize(const Message& message);

/// The same, with the SK payload replaced by the payloads decrypted from it.
std::string summarize(const Message& message, std::span<const Payload> decryptedInner);

/// The payload list alone: "SA KE No N(NATD_S_IP)".
std::string summarizePayloads(std::span<const Payload> payloads);

}  // namespace ikemesh::ike
