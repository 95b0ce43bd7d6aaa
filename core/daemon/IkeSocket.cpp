// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/IkeSocket.hpp"

#include "daemon/SocketAddress.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <tuple>

namespace ikemesh {
namespace {

constexpr std::size_t kMaxDatagram = 65536;
constexpr std::uint8_t kNonEspMarker[4] = {0, 0, 0, 0};  // RFC 3948 §2.2

std::string errnoText() {
  return std::strerror(errno);
}

}  // namespace

IkeSocket::IkeSocket(Options options, Receiver receiver)
    : options_(options), receiver_(std::move(receiver)) {}

IkeSocket::~IkeSocket() = default;

Result<void> IkeSocket::open() {
  for (auto port : {options_.ikePort, options_.natPort}) {
    if (auto rc = openOne(port, IpAddress::Family::V4); !rc) return rc;
    if (options_.ipv6) {
      if (auto rc = openOne(port, IpAddress::Family::V6); !rc) return rc;
    }
  }
  return success();
}

Result<void> IkeSocket::openOne(std::uint16_t port, IpAddress::Family family) {
  bool v6 = family == IpAddress::Family::V6;
  auto name = std::string(v6 ? "IPv6" : "IPv4") + " UDP port " + std::to_string(port);
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    if (v6 && errno == EAFNOSUPPORT) return success();  // a kernel without IPv6
    return fail("cannot open " + name + ": " + errnoText());
  }
  int on = 1;
  if (v6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
  } else {
    ::setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  }
  // ESP in UDP may arrive on these sockets at line rate: a small receive buffer drops bursts
  // before a dataplane's thread reads them. FORCE passes net.core.rmem_max as root.
  const int buffer = 4 << 20;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer) != 0)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  if (options_.mark && ::setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &options_.mark, sizeof options_.mark) != 0)
    return fail("cannot mark " + name + " (SO_MARK): " + errnoText());

  sockaddr_storage address;
  socklen_t length = toSockaddr(v6 ? IpAddress::v6({}) : IpAddress::v4({}), port, address);  // any address
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0)
    return fail("cannot bind " + name + ": " + errnoText() +
                (errno == EADDRINUSE ? " (another IKE daemon?)" : ""));

  auto socket = std::make_unique<Socket>();
  socket->port = port;
  socket->family = family;
  socket->notifier = std::make_unique<QSocketNotifier>(fd.get(), QSocketNotifier::Read);
  socket->fd = std::move(fd);
  auto* raw = socket.get();
  QObject::connect(raw->notifier.get(), &QSocketNotifier::activated, this, [this, raw] { readFrom(*raw); });
  sockets_.push_back(std::move(socket));
  return success();
}

void IkeSocket::readFrom(Socket& socket) {
  std::vector<std::uint8_t> buffer(kMaxDatagram);
  for (int budget = 64; budget > 0; --budget) {
    sockaddr_storage peer{};
    alignas(cmsghdr) char control[128];
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_name = &peer;
    msg.msg_namelen = sizeof peer;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    auto n = ::recvmsg(socket.fd.get(), &msg, 0);
    if (n < 0) return;  // EAGAIN: drained
    Datagram d;
    d.toPort = socket.port;
    auto from = endpointOf(reinterpret_cast<const sockaddr*>(&peer));
    if (!from) continue;
    std::tie(d.from, d.fromPort) = *from;
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        std::array<std::uint8_t, 4> bytes;
        std::memcpy(bytes.data(), &info.ipi_addr, 4);
        d.to = IpAddress::v4(bytes);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        std::array<std::uint8_t, 16> bytes;
        std::memcpy(bytes.data(), &info.ipi6_addr, 16);
        d.to = IpAddress::v6(bytes);
      }
    }
    std::size_t offset = 0;
    if (socket.port == options_.natPort) {
      // RFC 3948 §2.2: IKE behind the non-ESP marker; a NAT keepalive is the single byte 0xFF.
      if (n < 4 || std::memcmp(buffer.data(), kNonEspMarker, 4) != 0) {
        ++droppedNonIke_;
        continue;
      }
      offset = 4;
    }
    d.bytes.assign(buffer.begin() + static_cast<std::ptrdiff_t>(offset), buffer.begin() + n);
    receiver_(std::move(d));
  }
}

Result<void> IkeSocket::send(const IpAddress& from, std::uint16_t fromPort, const IpAddress& to,
                             std::uint16_t toPort, std::span<const std::uint8_t> bytes) {
  Socket* socket = nullptr;
  for (auto& s : sockets_)
    if (s->port == fromPort && s->family == to.family()) socket = s.get();
  if (!socket) return fail("no IKE socket on port " + std::to_string(fromPort) + " for " + to.toString());

  sockaddr_storage peer;
  socklen_t peerLength = toSockaddr(to, toPort, peer);
  // The source address goes in IP_PKTINFO / IPV6_PKTINFO: the socket is bound to every address.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  msghdr msg{};
  if (to.isV4()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    auto* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, from.data(), 4);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  } else {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    auto* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    std::memcpy(&info.ipi6_addr, from.data(), 16);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  iovec iov[2];
  int count = 0;
  if (fromPort == options_.natPort) iov[count++] = {const_cast<std::uint8_t*>(kNonEspMarker), 4};
  iov[count++] = {const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  msg.msg_name = &peer;
  msg.msg_namelen = peerLength;
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<std::size_t>(count);
  if (::sendmsg(socket->fd.get(), &msg, 0) < 0)
    return fail("cannot send to " + to.toString() + ":" + std::to_string(toPort) + ": " + errnoText());
  return success();
}

void IkeSocket::stopReading(std::uint16_t port, IpAddress::Family family) {
  for (auto& s : sockets_)
    if (s->port == port && s->family == family) s->notifier->setEnabled(false);
}

int IkeSocket::fd(std::uint16_t port, IpAddress::Family family) const {
  for (const auto& s : sockets_)
    if (s->port == port && s->family == family) return s->fd.get();
  return -1;
}

}  // namespace ikemesh
