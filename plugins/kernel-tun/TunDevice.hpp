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
///
/// With `offloads`, it is opened with IFF_VNET_HDR (every read and write starts with a
/// VirtioNetHeader) and TUNSETOFFLOAD announces checksum offload, TSO for IPv4 and IPv6 and,
/// where the kernel has it (Linux 6.2), USO: the kernel then hands over TCP and UDP
/// super-packets of up to 64 KiB that the reader segments (GsoSegmenter). Each offload the
/// kernel refuses is dropped in turn (USO, then TSO, then checksums); without IFF_VNET_HDR at
/// all the device is a plain one.
class TunDevice {
 public:
  static Result<TunDevice> create(const std::string& name, int mtu, bool offloads = false);

  int fd() const noexcept { return fd_.get(); }
  int ifindex() const noexcept { return ifindex_; }
  const std::string& name() const noexcept { return name_; }
  int mtu() const noexcept { return mtu_; }
  /// Whether reads and writes carry a VirtioNetHeader.
  bool virtioHeader() const noexcept { return virtioHeader_; }
  /// The TUN_F_* flags the kernel accepted (0 without offloads).
  unsigned offloadFlags() const noexcept { return offloadFlags_; }
  /// Whether the kernel took USO for IPv4 and IPv6 (Linux 6.2): writes may then carry
  /// VirtioNetHeader::kGsoUdpL4 packets.
  bool udpSegmentation() const noexcept;
  /// "csum tso4 tso6 uso4 uso6", for the log.
  std::string describeOffloads() const;

 private:
  TunDevice(UniqueFd fd, std::string name, int ifindex, int mtu, bool virtioHeader, unsigned offloadFlags)
      : fd_(std::move(fd)),
        name_(std::move(name)),
        ifindex_(ifindex),
        mtu_(mtu),
        virtioHeader_(virtioHeader),
        offloadFlags_(offloadFlags) {}
  UniqueFd fd_;
  std::string name_;
  int ifindex_;
  int mtu_;
  bool virtioHeader_;
  unsigned offloadFlags_;
};

}  // namespace ikemesh::tun
