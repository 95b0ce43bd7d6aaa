// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QJsonObject>

#include <string>

#include <ikemesh/result.hpp>

#include "util/UniqueFd.hpp"

namespace ikemesh {

/// The CLI's side of the control socket: connect, send a request line, read reply lines.
class ControlClient {
 public:
  /// Connects; the error reads "cannot reach ikemeshd at PATH: REASON".
  static Result<ControlClient> connect(const std::string& path);

  /// Sends one request and waits for its reply ({"ok": ..., "result"|"error": ...}).
  Result<QJsonObject> request(const std::string& command, const QJsonObject& args = {});
  /// Reads the next line the daemon sends (an event after "watch"); an error at EOF.
  Result<QJsonObject> readMessage();

 private:
  Result<void> sendLine(const QByteArray& line);
  std::string path_;
  UniqueFd fd_;
  QByteArray buffer_;
  int nextId_ = 1;
};

}  // namespace ikemesh
