// SPDX-License-Identifier: GPL-2.0-or-later
// IpAddress <-> sockaddr, in one place for every socket of the daemon.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include <ikemesh/net.hpp>

namespace ikemesh {

/// The address and port of an AF_INET or AF_INET6 sockaddr; nullopt for other families.
inline std::optional<std::pair<IpAddress, std::uint16_t>> endpointOf(const sockaddr* address) {
  if (!address) return std::nullopt;
  if (address->sa_family == AF_INET) {
    sockaddr_in a;
    std::memcpy(&a, address, sizeof a);
    std::array<std::uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &a.sin_addr, 4);
    return std::pair{IpAddress::v4(bytes), ntohs(a.sin_port)};
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 a;
    std::memcpy(&a, address, sizeof a);
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &a.sin6_addr, 16);
    return std::pair{IpAddress::v6(bytes), ntohs(a.sin6_port)};
  }
  return std::nullopt;
}

/// Fills `out` with `address`:`port`; returns the length to pass to the socket call.
inline socklen_t toSockaddr(const IpAddress& address, std::uint16_t port, sockaddr_storage& out) {
  out = {};
  if (address.isV4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&out);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, address.data(), 4);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&out);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  std::memcpy(&a->sin6_addr, address.data(), 16);
  return sizeof *a;
}

}  // namespace ikemesh
