// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>

#include "ike/message/IkeConstants.hpp"

namespace ikemesh::ike {

/// RFC 7296 §3.1 IKE header, without the fields the encoder derives (Next Payload, Length)
/// and the version (always 2.0 on send; a minor version is ignored on receipt, §2.5).
struct IkeHeader {
  std::uint64_t initiatorSpi = 0;  ///< never zero (§3.1)
  std::uint64_t responderSpi = 0;  ///< zero in the first IKE_SA_INIT request
  ExchangeType exchangeType = ExchangeType::IkeSaInit;
  bool initiator = false;      ///< I flag: sent by the original initiator of the IKE SA
  bool higherVersion = false;  ///< V flag: the sender can speak a higher major version
  bool response = false;       ///< R flag
  std::uint32_t messageId = 0;

  friend bool operator==(const IkeHeader&, const IkeHeader&) = default;
};

}  // namespace ikemesh::ike
