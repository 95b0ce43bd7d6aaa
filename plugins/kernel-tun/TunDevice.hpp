// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>

#include <ikemesh/result.hpp>

#include "util/UniqueFd.hpp"

namespace ikemesh::tun {

/// A TUN device (IFF_TUN | IFF_NO_PI: every read and write is one bare IP packet), created in
/// the network namespace of the calling thread, up, with the given MTU. Not persistent: the
/// kernel removes it when the file descriptor closes, so a crashed process leaves nothing
/// behind but its routes and rules (RoutingTable::removeStale). Move-only.
class TunDevice {
 public:
  static Result<TunDevice> create(const std::string& name, int mtu);

  int fd() const noexcept { return fd_.get(); }
  int ifindex() const noexcept { return ifindex_; }
  const std::string& name() const noexcept { return name_; }
  int mtu() const noexcept { return mtu_; }

 private:
  TunDevice(UniqueFd fd, std::string name, int ifindex, int mtu)
      : fd_(std::move(fd)), name_(std::move(name)), ifindex_(ifindex), mtu_(mtu) {}
  UniqueFd fd_;
  std::string name_;
  int ifindex_;
  int mtu_;
};

}  // namespace ikemesh::tun
