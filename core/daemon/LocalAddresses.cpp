// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/LocalAddresses.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "daemon/SocketAddress.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh {
namespace {

std::optional<IpAddress> fromSockaddr(const sockaddr* address) {
  auto endpoint = endpointOf(address);
  if (!endpoint) return std::nullopt;
  return endpoint->first;
}

}  // namespace

std::vector<IpAddress> localAddresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* i = list; i; i = i->ifa_next)
    if (auto a = fromSockaddr(i->ifa_addr)) out.push_back(*a);
  ::freeifaddrs(list);
  return out;
}

Result<IpAddress> sourceAddressFor(const IpAddress& peer) {
  bool v6 = peer.isV6();
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(std::string("socket: ") + std::strerror(errno));
  sockaddr_storage address;
  socklen_t length = toSockaddr(peer, 500, address);
  // connect() on a UDP socket only looks up the route.
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0)
    return fail("no route to " + peer.toString() + ": " + std::strerror(errno));
  sockaddr_storage local{};
  socklen_t localLength = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &localLength) != 0)
    return fail(std::string("getsockname: ") + std::strerror(errno));
  auto source = fromSockaddr(reinterpret_cast<sockaddr*>(&local));
  if (!source) return fail("no source address towards " + peer.toString());
  return *source;
}

}  // namespace ikemesh
