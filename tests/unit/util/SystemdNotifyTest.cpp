// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/SystemdNotify.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh {
namespace {

/// A datagram socket standing in for systemd's notification socket, bound to `name` (a path,
/// or an abstract name with a leading '@'), with NOTIFY_SOCKET pointing at it.
class NotifySocket {
 public:
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') address.sun_path[0] = '\0';
    ::unlink(name_.c_str());
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size())),
              0)
        << std::strerror(errno);
    ::setenv("NOTIFY_SOCKET", name_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    if (name_[0] == '/') ::unlink(name_.c_str());
  }
  std::string receive() {
    char buffer[256];
    auto n = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    return n < 0 ? "(nothing)" : std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  UniqueFd fd_;
};

TEST(SystemdNotify, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notifyServiceManager("READY=1"));
}

TEST(SystemdNotify, SendsTheStateToAPathSocket) {
  NotifySocket manager(testing::TempDir() + "ikemesh-notify-" + std::to_string(::getpid()));
  ASSERT_TRUE(notifyServiceManager("READY=1\nSTATUS=running"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=running");
}

TEST(SystemdNotify, SendsTheStateToAnAbstractSocket) {
  NotifySocket manager("@ikemesh-notify-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(notifyServiceManager("STOPPING=1"));
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(SystemdNotify, ABadOrAbsentSocketIsAnErrorNamingIt) {
  ::setenv("NOTIFY_SOCKET", "relative/name", 1);
  EXPECT_EQ(notifyServiceManager("READY=1").error().message,
            "NOTIFY_SOCKET='relative/name' is neither an absolute path nor an abstract name");
  ::setenv("NOTIFY_SOCKET", "/nonexistent/ikemesh-notify", 1);
  EXPECT_EQ(notifyServiceManager("READY=1").error().message,
            "NOTIFY_SOCKET /nonexistent/ikemesh-notify: No such file or directory");
  ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace ikemesh
