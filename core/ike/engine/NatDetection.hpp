// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>

#include <ikemesh/result.hpp>

#include "ike/engine/IkeTransport.hpp"
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// The NAT_DETECTION_*_IP notification data, RFC 7296 §2.23:
/// SHA-1(SPIi | SPIr | IP address | port), with SPIr zero in the first IKE_SA_INIT request.
Bytes natDetectionHash(std::uint64_t initiatorSpi, std::uint64_t responderSpi, const Endpoint& endpoint);

/// The 8 octets of an IKE SPI in network order.
Bytes spiBytes(std::uint64_t spi);

}  // namespace ikemesh::ike
