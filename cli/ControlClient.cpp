// SPDX-License-Identifier: GPL-2.0-or-later
#include "ControlClient.hpp"

#include <QJsonDocument>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ikemesh {

Result<ControlClient> ControlClient::connect(const std::string& path) {
  auto unreachable = [&](const std::string& why) {
    return fail("cannot reach ikemeshd at " + path + ": " + why);
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return unreachable("path too long");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ControlClient client;
  client.path_ = path;
  client.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client.fd_) return unreachable(std::strerror(errno));
  if (::connect(client.fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    return unreachable(std::strerror(errno));
  return client;
}

Result<void> ControlClient::sendLine(const QByteArray& line) {
  const char* data = line.constData();
  auto left = static_cast<size_t>(line.size());
  while (left > 0) {
    auto n = ::send(fd_.get(), data, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("lost the connection to ikemeshd at " + path_ + ": " + std::strerror(errno));
    data += n;
    left -= static_cast<size_t>(n);
  }
  return success();
}

Result<QJsonObject> ControlClient::readMessage() {
  for (;;) {
    auto eol = buffer_.indexOf('\n');
    if (eol >= 0) {
      auto line = buffer_.left(eol);
      buffer_.remove(0, eol + 1);
      QJsonParseError error{};
      auto document = QJsonDocument::fromJson(line, &error);
      if (error.error != QJsonParseError::NoError || !document.isObject())
        return fail("ikemeshd sent something that is not a JSON object: " +
                    error.errorString().toStdString());
      return document.object();
    }
    char chunk[8192];
    auto n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("lost the connection to ikemeshd at " + path_ + ": " + std::strerror(errno));
    if (n == 0) return fail("ikemeshd at " + path_ + " closed the connection");
    buffer_.append(chunk, n);
  }
}

Result<QJsonObject> ControlClient::request(const std::string& command, const QJsonObject& args) {
  int id = nextId_++;
  QJsonObject message{{"id", id}, {"command", QString::fromStdString(command)}, {"args", args}};
  auto line = QJsonDocument(message).toJson(QJsonDocument::Compact) + '\n';
  if (auto rc = sendLine(line); !rc) {
    // The daemon may have refused us and closed before our request went out: what it said
    // is still waiting to be read, and says more than "Broken pipe".
    if (auto refusal = readMessage(); refusal && refusal->contains("error")) return refusal;
    return std::move(rc).error();
  }
  for (;;) {
    auto reply = readMessage();
    if (!reply) return reply;
    if (reply->contains("event")) continue;
    // A refusal is sent before any request is read, so it carries no id.
    if (reply->contains("id") && reply->value("id").toInt() != id) continue;
    return reply;
  }
}

}  // namespace ikemesh
