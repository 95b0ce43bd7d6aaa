// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/SystemdNotify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/UniqueFd.hpp"

namespace ikemesh {

Result<void> notifyServiceManager(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0') return success();
  const std::string path(name);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof address.sun_path)
    return fail("NOTIFY_SOCKET='" + path + "' is neither an absolute path nor an abstract name");
  std::memcpy(address.sun_path, path.data(), path.size());
  if (path[0] == '@') address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());

  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(std::string("NOTIFY_SOCKET: socket: ") + std::strerror(errno));
  if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
               length) < 0)
    return fail("NOTIFY_SOCKET " + path + ": " + std::strerror(errno));
  return success();
}

}  // namespace ikemesh
