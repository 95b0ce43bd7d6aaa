// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "ike/engine/ConnectionView.hpp"

#include <cstdint>

#include <ikemesh/result.hpp>

#include "ike/engine/IkeTransport.hpp"
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// The NAT_DETECTION_*_IP notification data, RFC 7296 §2.23:
/// SHA-1(SPIi | SPIr | IP address | port), with SPIr zero in the first IKE_SA_INIT request.
Bytes natDetectionHash(std::uint64_t initiatorSpi, std::uint64_t responderSpi, const Endpoint& endpoint);

/// The endpoint our NAT_DETECTION_SOURCE_IP hashes: our own, or, with encapsulation=yes, one
/// that cannot match, so that the peer sees a NAT and both sides move to UDP 4500 and
/// encapsulate ESP (what strongSwan and Libreswan do to force RFC 3948 encapsulation).
Endpoint natDetectionSource(const ConnectionView& connection, const Endpoint& local);

/// The 8 octets of an IKE SPI in network order.
Bytes spiBytes(std::uint64_t spi);

}  // namespace ikemesh::ike
