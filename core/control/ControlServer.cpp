// SPDX-License-Identifier: GPL-2.0-or-later
#include "control/ControlServer.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ikemesh {
namespace {

constexpr std::string_view kTag = "control";
constexpr qsizetype kMaxLine = 64 * 1024;
constexpr qsizetype kMaxPendingOutput = 4 * 1024 * 1024;

std::string errnoText() {
  return std::strerror(errno);
}

Result<sockaddr_un> socketAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return fail("socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

}  // namespace

struct ControlServer::Client {
  UniqueFd fd;
  std::unique_ptr<QSocketNotifier> readNotifier;
  std::unique_ptr<QSocketNotifier> writeNotifier;
  QByteArray input;
  QByteArray output;
  std::set<std::string> events;
  bool closing = false;  // close once the output is flushed
};

ControlServer::ControlServer(Logger& logger) : logger_(logger) {}

ControlServer::~ControlServer() {
  close();
}

Result<void> ControlServer::listen(const std::string& path) {
  auto address = socketAddress(path);
  if (!address) return std::move(address).error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail("socket(): " + errnoText());

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail(path + " exists and is not a socket");
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) == 0)
      return fail("another ikemeshd is listening on " + path);
    ::unlink(path.c_str());  // stale, left by a daemon that died
  }

  // Bind under a umask that leaves the socket 0600 from its first moment, then make sure.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address);
  int bindErrno = errno;
  ::umask(old);
  if (rc != 0) return fail("cannot bind " + path + ": " + std::strerror(bindErrno));
  if (::chmod(path.c_str(), 0600) != 0) return fail("chmod " + path + ": " + errnoText());
  if (::listen(fd.get(), 64) != 0) return fail("listen " + path + ": " + errnoText());

  listener_ = std::move(fd);
  path_ = path;
  notifier_ = std::make_unique<QSocketNotifier>(listener_.get(), QSocketNotifier::Read);
  QObject::connect(notifier_.get(), &QSocketNotifier::activated, this, [this] { accept(); });
  logger_.info(kTag, "listening on " + path);
  return success();
}

void ControlServer::close() {
  clients_.clear();
  notifier_.reset();
  if (listener_) {
    listener_.reset();
    ::unlink(path_.c_str());
  }
}

void ControlServer::addCommand(const std::string& name, Handler handler) {
  commands_[name] = std::move(handler);
}

void ControlServer::accept() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        logger_.warning(kTag, "accept: " + errnoText());
      return;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (cred.uid != 0 && cred.uid != ::geteuid())) {
      logger_.warning(kTag, "refused a control connection from uid " + std::to_string(cred.uid) + " (pid " +
                                std::to_string(cred.pid) + "): only root may control ikemeshd");
      static const char refusal[] =
          "{\"ok\":false,\"error\":\"permission denied: only root may control ikemeshd\"}\n";
      [[maybe_unused]] auto n = ::send(fd.get(), refusal, sizeof refusal - 1, MSG_NOSIGNAL);
      continue;
    }
    auto client = std::make_unique<Client>();
    int raw = fd.get();
    client->fd = std::move(fd);
    client->readNotifier = std::make_unique<QSocketNotifier>(raw, QSocketNotifier::Read);
    QObject::connect(client->readNotifier.get(), &QSocketNotifier::activated, this, [this, raw] {
      if (auto it = clients_.find(raw); it != clients_.end()) readFrom(*it->second);
    });
    clients_.emplace(raw, std::move(client));
  }
}

void ControlServer::readFrom(Client& client) {
  char buffer[8192];
  bool peerClosed = false;
  for (;;) {
    auto n = ::recv(client.fd.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      client.input.append(buffer, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    peerClosed = true;  // EOF or error: answer what was read, then close
    break;
  }
  int fd = client.fd.get();
  qsizetype eol;
  while ((eol = client.input.indexOf('\n')) >= 0) {
    auto line = client.input.left(eol);
    client.input.remove(0, eol + 1);
    handleLine(client, line);
    if (!clients_.count(fd)) return;  // dropped while answering
  }
  if (client.input.size() > kMaxLine) {
    send(client, QJsonObject{{"ok", false}, {"error", "request line longer than 64 KiB"}});
    peerClosed = true;
  }
  if (peerClosed) {
    client.readNotifier->setEnabled(false);
    client.closing = true;
    flush(client);
  }
}

void ControlServer::handleLine(Client& client, const QByteArray& line) {
  if (line.trimmed().isEmpty()) return;
  QJsonParseError error{};
  auto document = QJsonDocument::fromJson(line, &error);
  if (error.error != QJsonParseError::NoError || !document.isObject()) {
    send(client,
         QJsonObject{{"ok", false}, {"error", "request is not a JSON object: " + error.errorString()}});
    return;
  }
  auto request = document.object();
  QJsonObject reply;
  if (request.contains("id")) reply["id"] = request.value("id");
  auto command = request.value("command").toString().toStdString();
  auto args = request.value("args").toObject();

  if (command == "watch") {
    for (const auto& event : args.value("events").toArray())
      client.events.insert(event.toString().toStdString());
    updateAnyWatched();
    reply["ok"] = true;
    reply["result"] = QJsonObject{{"watching", QJsonArray::fromStringList([&] {
                                     QStringList list;
                                     for (const auto& e : client.events) list << QString::fromStdString(e);
                                     return list;
                                   }())}};
    return send(client, reply);
  }
  auto it = commands_.find(command);
  if (it == commands_.end()) {
    reply["ok"] = false;
    std::string known;
    for (const auto& [name, handler] : commands_) known += (known.empty() ? "" : ", ") + name;
    reply["error"] =
        QString::fromStdString("unknown command '" + command + "' (known: " + known + ", watch)");
    return send(client, reply);
  }
  auto result = it->second(args);
  if (result) {
    reply["ok"] = true;
    reply["result"] = *result;
  } else {
    reply["ok"] = false;
    reply["error"] = QString::fromStdString(result.error().message);
  }
  send(client, reply);
}

void ControlServer::send(Client& client, const QJsonObject& message) {
  client.output.append(QJsonDocument(message).toJson(QJsonDocument::Compact));
  client.output.append('\n');
  flush(client);
}

void ControlServer::flush(Client& client) {
  int fd = client.fd.get();
  while (!client.output.isEmpty()) {
    auto n = ::send(fd, client.output.constData(), client.output.size(), MSG_NOSIGNAL);
    if (n > 0) {
      client.output.remove(0, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (client.output.size() > kMaxPendingOutput) {
        // A watcher that does not read: drop it rather than grow without bound.
        logger_.warning(kTag, "dropping a control client that does not read its output");
        return drop(fd);
      }
      if (!client.writeNotifier) {
        client.writeNotifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Write);
        QObject::connect(client.writeNotifier.get(), &QSocketNotifier::activated, this, [this, fd] {
          if (auto it = clients_.find(fd); it != clients_.end()) flush(*it->second);
        });
      }
      client.writeNotifier->setEnabled(true);
      return;
    }
    return drop(fd);
  }
  if (client.writeNotifier) client.writeNotifier->setEnabled(false);
  if (client.closing) drop(fd);
}

void ControlServer::drop(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  it->second->readNotifier->setEnabled(false);
  if (it->second->writeNotifier) it->second->writeNotifier->setEnabled(false);
  // Notifiers may be on the call stack: delete them from the event loop.
  it->second->readNotifier.release()->deleteLater();
  if (it->second->writeNotifier) it->second->writeNotifier.release()->deleteLater();
  clients_.erase(it);
  updateAnyWatched();
}

void ControlServer::updateAnyWatched() {
  bool any = false;
  for (const auto& [fd, client] : clients_) any = any || !client->events.empty();
  anyWatched_.store(any, std::memory_order_relaxed);
}

void ControlServer::publish(const std::string& event, const QJsonObject& data) {
  std::vector<int> targets;
  for (const auto& [fd, client] : clients_)
    if (client->events.count(event)) targets.push_back(fd);
  for (int fd : targets) {
    auto it = clients_.find(fd);
    if (it != clients_.end())
      send(*it->second, QJsonObject{{"event", QString::fromStdString(event)}, {"data", data}});
  }
}

bool ControlServer::watched(const std::string& event) const {
  for (const auto& [fd, client] : clients_)
    if (client->events.count(event)) return true;
  return false;
}

}  // namespace ikemesh
