// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ikemesh::ike {

/// What the engine did since it started; read by status and by tests.
struct EngineCounters {
  std::uint64_t datagramsReceived = 0;
  std::uint64_t datagramsSent = 0;
  std::uint64_t retransmissions = 0;     ///< our requests sent again (RFC 7296 §2.1)
  std::uint64_t responsesFromCache = 0;  ///< retransmitted requests answered from the cache
  std::uint64_t cookiesDemanded = 0;     ///< IKE_SA_INIT answered with COOKIE (§2.6)
  std::uint64_t cookiesHonoured = 0;     ///< IKE_SA_INIT resent with the peer's COOKIE
  std::uint64_t invalidKeRetries = 0;    ///< IKE_SA_INIT resent with the group the peer wants
  std::uint64_t ikeSasEstablished = 0;
  std::uint64_t childSasInstalled = 0;
  std::uint64_t fragmentsSent = 0;
  std::uint64_t fragmentsReceived = 0;
  std::uint64_t natMappingUpdates = 0;  ///< IKE SAs moved to a peer's new NAT port (§2.23)
  std::uint64_t rejected = 0;           ///< messages dropped or refused, all reasons
  /// Rejections by the field that failed ("header", "SK payload", "message ID", "SA"...).
  std::map<std::string, std::uint64_t> rejectedByField;
};

}  // namespace ikemesh::ike
