// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QObject>
#include <QSocketNotifier>
#include <QThreadPool>
#include <QTimer>

#include <map>
#include <memory>

#include <ikemesh/host.hpp>

#include "util/Logger.hpp"

namespace ikemesh {

/// Answers Host::configValue(); the daemon's current configuration.
class ConfigValues {
 public:
  virtual ~ConfigValues() = default;
  virtual std::optional<std::string> value(std::string_view conn, std::string_view key) const = 0;
};

/// The Host one plugin gets: the daemon's Qt event loop, its worker pool, its logger (tagged
/// with the plugin's name) and the configuration. Created by the daemon per plugin.
class QtHost final : public QObject, public Host {
 public:
  QtHost(std::string tag, Logger& logger, QThreadPool& pool, const ConfigValues* config);
  ~QtHost() override;

  WatchId watchFd(int fd, FdEvent event, std::function<void()> onReady) override;
  void unwatchFd(WatchId id) override;
  TimerId startTimer(std::chrono::milliseconds interval, bool repeat,
                     std::function<void()> onTimeout) override;
  void stopTimer(TimerId id) override;
  void postToMain(std::function<void()> work) override;
  void submitWork(std::function<void()> work) override;
  void log(LogLevel level, std::string_view message) override;
  bool logEnabled(LogLevel level) const override;
  std::optional<std::string> configValue(std::string_view conn, std::string_view key) const override;

 private:
  std::string tag_;
  Logger& logger_;
  QThreadPool& pool_;
  const ConfigValues* config_;
  std::uint64_t nextId_ = 1;
  std::map<WatchId, std::unique_ptr<QSocketNotifier>> watches_;
  std::map<TimerId, std::unique_ptr<QTimer>> timers_;
};

}  // namespace ikemesh
