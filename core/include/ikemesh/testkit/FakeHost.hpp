// SPDX-License-Identifier: GPL-2.0-or-later
// Part of the SDK test kit (installed with the headers; standard library only).
// A Host for unit tests: no event loop. Timers and posted work run when the test says so;
// log lines are recorded. Single-threaded except postToMain/submitWork/log, which lock.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <ikemesh/host.hpp>

namespace ikemesh::testkit {

class FakeHost final : public Host {
 public:
  explicit FakeHost(std::string tag = "test", std::vector<std::string>* sharedLog = nullptr)
      : tag_(std::move(tag)), sharedLog_(sharedLog) {}

  WatchId watchFd(int fd, FdEvent event, std::function<void()> onReady) override {
    watches_[nextId_] = Watch{fd, event, std::move(onReady)};
    return nextId_++;
  }
  void unwatchFd(WatchId id) override { watches_.erase(id); }
  TimerId startTimer(std::chrono::milliseconds interval, bool repeat, std::function<void()> cb) override {
    timers_[nextId_] = Timer{interval, repeat, std::move(cb)};
    return nextId_++;
  }
  void stopTimer(TimerId id) override { timers_.erase(id); }
  void postToMain(std::function<void()> work) override {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(work));
  }
  void submitWork(std::function<void()> work) override { postToMain(std::move(work)); }
  void log(LogLevel, std::string_view message) override {
    std::lock_guard lock(mutex_);
    auto line = tag_ + ": " + std::string(message);
    lines_.push_back(line);
    if (sharedLog_) sharedLog_->push_back(line);
  }
  bool logEnabled(LogLevel) const override { return true; }
  std::optional<std::string> configValue(std::string_view conn, std::string_view key) const override {
    auto it = config_.find(std::string(conn) + "/" + std::string(key));
    if (it == config_.end()) return std::nullopt;
    return it->second;
  }

  /// Runs everything posted so far (and what that posts in turn); returns how many ran.
  std::size_t runPosted() {
    std::size_t count = 0;
    for (;;) {
      std::vector<std::function<void()>> batch;
      {
        std::lock_guard lock(mutex_);
        batch.swap(posted_);
      }
      if (batch.empty()) return count;
      for (auto& work : batch) work();
      count += batch.size();
    }
  }
  /// Fires every started timer once; one-shot timers are forgotten first.
  void fireTimers() {
    auto timers = timers_;
    for (auto& [id, timer] : timers) {
      if (!timer.repeat) timers_.erase(id);
      timer.callback();
    }
  }
  void setConfig(const std::string& conn, const std::string& key, const std::string& value) {
    config_[conn + "/" + key] = value;
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::size_t watchCount() const { return watches_.size(); }
  std::size_t timerCount() const { return timers_.size(); }

 private:
  struct Watch {
    int fd;
    FdEvent event;
    std::function<void()> callback;
  };
  struct Timer {
    std::chrono::milliseconds interval;
    bool repeat;
    std::function<void()> callback;
  };
  std::string tag_;
  std::vector<std::string>* sharedLog_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::vector<std::function<void()>> posted_;
  std::map<WatchId, Watch> watches_;
  std::map<TimerId, Timer> timers_;
  std::map<std::string, std::string> config_;
  std::uint64_t nextId_ = 1;
};

}  // namespace ikemesh::testkit
