// SPDX-License-Identifier: GPL-2.0-or-later
// Where the engine's datagrams leave: the daemon's UDP sockets on ports 500 and 4500, or an
// in-memory network in tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <ikemesh/net.hpp>

namespace ikemesh::ike {

/// One side of a UDP flow.
struct Endpoint {
  IpAddress address;
  std::uint16_t port = 500;

  std::string toString() const {
    return (address.isV6() ? "[" + address.toString() + "]" : address.toString()) + ":" +
           std::to_string(port);
  }
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

/// Sends IKE datagrams. Called on the main thread. The message starts at the IKE header: on
/// port 4500 the transport prepends the four-octet non-ESP marker (RFC 3948 §2.2), and strips
/// it from what it receives before calling IkeEngine::receive().
class IkeTransport {
 public:
  virtual ~IkeTransport() = default;
  virtual void send(const Endpoint& local, const Endpoint& remote, std::span<const std::uint8_t> message) = 0;
};

}  // namespace ikemesh::ike
