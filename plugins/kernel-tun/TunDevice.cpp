// SPDX-License-Identifier: GPL-2.0-or-later
#include "TunDevice.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ikemesh::tun {

Result<TunDevice> TunDevice::create(const std::string& name, int mtu) {
  const std::string who = "kernel-tun: TUN device '" + name + "': ";
  if (name.empty() || name.size() >= IFNAMSIZ) return fail(who + "the name must have 1 to 15 characters");
  if (mtu < 576 || mtu > 65535) return fail(who + "MTU " + std::to_string(mtu) + " is outside 576-65535");
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return fail(who + "cannot open /dev/net/tun: " + std::strerror(errno));
  ifreq request{};
  std::memcpy(request.ifr_name, name.c_str(), name.size());
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0)
    return fail(who + "TUNSETIFF failed: " + std::strerror(errno));

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
  return TunDevice(std::move(fd), name, settings.ifr_ifindex, mtu);
}

}  // namespace ikemesh::tun
