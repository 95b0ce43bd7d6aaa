// SPDX-License-Identifier: GPL-2.0-or-later
#include "TunDevice.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ikemesh::tun {

namespace {

// Linux 6.2 UDP segmentation offload flags (Debian 12's headers predate them).
constexpr unsigned kTunUso4 = 0x20;
constexpr unsigned kTunUso6 = 0x40;

/// Asks for the largest set of offloads the kernel accepts; returns the flags it took.
unsigned negotiateOffloads(int fd) {
  constexpr unsigned kTso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  for (unsigned flags : {kTso | kTunUso4 | kTunUso6, kTso, unsigned{TUN_F_CSUM}})
    if (::ioctl(fd, TUNSETOFFLOAD, static_cast<unsigned long>(flags)) == 0) return flags;
  return 0;
}

}  // namespace

bool TunDevice::udpSegmentation() const noexcept {
  return (offloadFlags_ & (kTunUso4 | kTunUso6)) == (kTunUso4 | kTunUso6);
}

std::string TunDevice::describeOffloads() const {
  if (!virtioHeader_) return "none";
  std::string text = "vnet-hdr";
  for (auto [flag, name] :
       {std::pair{unsigned{TUN_F_CSUM}, " csum"}, std::pair{unsigned{TUN_F_TSO4}, " tso4"},
        std::pair{unsigned{TUN_F_TSO6}, " tso6"}, std::pair{kTunUso4, " uso4"}, std::pair{kTunUso6, " uso6"}})
    if (offloadFlags_ & flag) text += name;
  return text;
}

Result<TunDevice> TunDevice::create(const std::string& name, int mtu, bool offloads) {
  const std::string who = "kernel-tun: TUN device '" + name + "': ";
  if (name.empty() || name.size() >= IFNAMSIZ) return fail(who + "the name must have 1 to 15 characters");
  if (mtu < 576 || mtu > 65535) return fail(who + "MTU " + std::to_string(mtu) + " is outside 576-65535");
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return fail(who + "cannot open /dev/net/tun: " + std::strerror(errno));
  ifreq request{};
  std::memcpy(request.ifr_name, name.c_str(), name.size());
  request.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0));
  bool virtioHeader = offloads;
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) {
    if (!offloads) return fail(who + "TUNSETIFF failed: " + std::strerror(errno));
    request.ifr_flags = IFF_TUN | IFF_NO_PI;  // a kernel without IFF_VNET_HDR: a plain device
    virtioHeader = false;
    if (::ioctl(fd.get(), TUNSETIFF, &request) < 0)
      return fail(who + "TUNSETIFF failed: " + std::strerror(errno));
  }
  const unsigned offloadFlags = virtioHeader ? negotiateOffloads(fd.get()) : 0;

  // MTU and IFF_UP through an ordinary socket of the same namespace.
  UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!control) return fail(who + "cannot open a control socket: " + std::strerror(errno));
  ifreq settings{};
  std::memcpy(settings.ifr_name, name.c_str(), name.size());
  settings.ifr_mtu = mtu;
  if (::ioctl(control.get(), SIOCSIFMTU, &settings) < 0)
    return fail(who + "cannot set the MTU to " + std::to_string(mtu) + ": " + std::strerror(errno));
  if (::ioctl(control.get(), SIOCGIFFLAGS, &settings) < 0)
    return fail(who + "cannot read the flags: " + std::strerror(errno));
  settings.ifr_flags = static_cast<short>(settings.ifr_flags | IFF_UP);
  if (::ioctl(control.get(), SIOCSIFFLAGS, &settings) < 0)
    return fail(who + "cannot set it up: " + std::strerror(errno));
  if (::ioctl(control.get(), SIOCGIFINDEX, &settings) < 0)
    return fail(who + "cannot read its index: " + std::strerror(errno));
  return TunDevice(std::move(fd), name, settings.ifr_ifindex, mtu, virtioHeader, offloadFlags);
}

}  // namespace ikemesh::tun
