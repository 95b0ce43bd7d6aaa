// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QJsonObject>
#include <QObject>
#include <QSocketNotifier>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <ikemesh/result.hpp>

#include "util/Logger.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh {

/// The control socket (DESIGN.md §5): a Unix stream socket, mode 0600, one JSON object per
/// line each way.
///
///   request:  {"id": 7, "command": "status", "args": {...}}
///   reply:    {"id": 7, "ok": true, "result": {...}}  or  {"id": 7, "ok": false, "error": "..."}
///   event:    {"event": "log", "data": {...}}   after {"command": "watch", "args": {"events": ["log"]}}
///
/// Only root, or the user the daemon runs as, may connect: the file mode keeps others out and
/// SO_PEERCRED is checked on every connection all the same. Main thread only.
class ControlServer final : public QObject {
 public:
  using Handler = std::function<Result<QJsonObject>(const QJsonObject& args)>;

  explicit ControlServer(Logger& logger);
  ~ControlServer() override;

  /// Binds and listens at `path`. A stale socket file is replaced; a live one (another daemon
  /// answers there) is an error.
  Result<void> listen(const std::string& path);
  void close();

  void addCommand(const std::string& name, Handler handler);
  /// Sends `data` to every client watching `event`.
  void publish(const std::string& event, const QJsonObject& data);
  /// Whether any client watches `event` (lets callers skip building events).
  bool watched(const std::string& event) const;
  /// Whether any client watches any event; callable from any thread (a log sink asks it for
  /// every line, so that nobody watching costs nothing).
  bool anyWatched() const { return anyWatched_.load(std::memory_order_relaxed); }

  std::size_t clientCount() const { return clients_.size(); }

 private:
  struct Client;
  void accept();
  void readFrom(Client& client);
  void handleLine(Client& client, const QByteArray& line);
  void send(Client& client, const QJsonObject& message);
  void flush(Client& client);
  void drop(int fd);

  Logger& logger_;
  std::string path_;
  UniqueFd listener_;
  std::unique_ptr<QSocketNotifier> notifier_;
  std::map<std::string, Handler> commands_;
  std::map<int, std::unique_ptr<Client>> clients_;
  std::atomic<bool> anyWatched_{false};
  void updateAnyWatched();
};

}  // namespace ikemesh
