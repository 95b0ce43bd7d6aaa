// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/QtHost.hpp"

#include <QCoreApplication>
#include <QMetaObject>

namespace ikemesh {

QtHost::QtHost(std::string tag, Logger& logger, QThreadPool& pool, const ConfigValues* config)
    : tag_(std::move(tag)), logger_(logger), pool_(pool), config_(config) {}

QtHost::~QtHost() = default;

WatchId QtHost::watchFd(int fd, FdEvent event, std::function<void()> onReady) {
  auto type = event == FdEvent::Readable ? QSocketNotifier::Read : QSocketNotifier::Write;
  auto notifier = std::make_unique<QSocketNotifier>(fd, type);
  QObject::connect(notifier.get(), &QSocketNotifier::activated, this, [cb = std::move(onReady)] { cb(); });
  auto id = nextId_++;
  watches_.emplace(id, std::move(notifier));
  return id;
}

void QtHost::unwatchFd(WatchId id) {
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  it->second->setEnabled(false);
  // The watch may be removed from inside its own callback: delete the notifier later.
  it->second.release()->deleteLater();
  watches_.erase(it);
}

TimerId QtHost::startTimer(std::chrono::milliseconds interval, bool repeat, std::function<void()> onTimeout) {
  auto id = nextId_++;
  auto timer = std::make_unique<QTimer>();
  timer->setSingleShot(!repeat);
  timer->setInterval(interval);
  QObject::connect(timer.get(), &QTimer::timeout, this, [this, id, repeat, cb = std::move(onTimeout)] {
    if (!repeat) {
      // Forget a one-shot timer before its callback runs, so that it may start new ones.
      auto it = timers_.find(id);
      if (it != timers_.end()) {
        it->second.release()->deleteLater();
        timers_.erase(it);
      }
    }
    cb();
  });
  timer->start();
  timers_.emplace(id, std::move(timer));
  return id;
}

void QtHost::stopTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->stop();
  it->second.release()->deleteLater();
  timers_.erase(it);
}

void QtHost::postToMain(std::function<void()> work) {
  QMetaObject::invokeMethod(this, std::move(work), Qt::QueuedConnection);
}

void QtHost::submitWork(std::function<void()> work) {
  pool_.start([w = std::move(work)] { w(); });
}

void QtHost::log(LogLevel level, std::string_view message) {
  logger_.log(level, tag_, message);
}

bool QtHost::logEnabled(LogLevel level) const {
  return logger_.enabled(level);
}

std::optional<std::string> QtHost::configValue(std::string_view conn, std::string_view key) const {
  return config_ ? config_->value(conn, key) : std::nullopt;
}

}  // namespace ikemesh
