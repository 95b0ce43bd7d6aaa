// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QObject>
#include <QSocketNotifier>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

#include "util/UniqueFd.hpp"

namespace ikemesh {

/// One datagram as the IKE sockets see it.
struct Datagram {
  IpAddress from;
  std::uint16_t fromPort = 0;
  IpAddress to;  ///< our address the peer sent to (IP_PKTINFO)
  std::uint16_t toPort = 0;
  std::vector<std::uint8_t> bytes;  ///< from the IKE header on (the non-ESP marker removed)
};

/// The daemon's IKE sockets: UDP 500 and UDP 4500 (RFC 7296 §2.23, RFC 3948), IPv4 and IPv6,
/// bound to every address with the packet's destination reported, and marked with SO_MARK so
/// that a TUN dataplane's routing lets them pass (DESIGN.md §7). On port 4500 every IKE
/// message carries the 4-byte non-ESP marker; what arrives there without it is ESP, which
/// belongs to a dataplane and is dropped here.
class IkeSocket final : public QObject {
 public:
  using Receiver = std::function<void(Datagram&&)>;

  struct Options {
    std::uint16_t ikePort = 500;
    std::uint16_t natPort = 4500;
    /// SO_MARK for our packets, so that a TUN dataplane's rules let them pass (kernel-tun's
    /// default tun-fwmark); 0 leaves them unmarked.
    std::uint32_t mark = 0x4500;
    bool ipv6 = true;
  };

  IkeSocket(Options options, Receiver receiver);
  ~IkeSocket() override;

  Result<void> open();
  /// Sends `bytes` (an IKE message) from `from`:`fromPort` to `to`:`toPort`; on the NAT port
  /// the non-ESP marker is prepended.
  Result<void> send(const IpAddress& from, std::uint16_t fromPort, const IpAddress& to, std::uint16_t toPort,
                    std::span<const std::uint8_t> bytes);

  /// The socket of `port` and `family`, for a dataplane that adopts the port-4500 socket.
  int fd(std::uint16_t port, IpAddress::Family family) const;
  /// Stops reading the socket of `port` and `family`: a dataplane adopted it and reads it on
  /// its own threads. Sending through it goes on.
  void stopReading(std::uint16_t port, IpAddress::Family family);

  std::uint64_t droppedNonIke() const { return droppedNonIke_; }

 private:
  struct Socket {
    UniqueFd fd;
    std::uint16_t port;
    IpAddress::Family family;
    std::unique_ptr<QSocketNotifier> notifier;
  };
  Result<void> openOne(std::uint16_t port, IpAddress::Family family);
  void readFrom(Socket& socket);

  Options options_;
  Receiver receiver_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::uint64_t droppedNonIke_ = 0;
};

}  // namespace ikemesh
