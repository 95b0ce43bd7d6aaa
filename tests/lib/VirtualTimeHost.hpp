// SPDX-License-Identifier: GPL-2.0-or-later
// A Host on virtual time for engine tests: timers fire only when the test advances the clock,
// "worker" jobs and posted work run on the test thread when it drains them. Several hosts can
// share one VirtualClock, so that two engines in one test see the same time. Deterministic:
// timers that fall due together fire in the order they were started.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <ikemesh/host.hpp>

namespace ikemesh::testkit {

/// The shared clock, timer list and main-thread queue.
class VirtualClock {
 public:
  using Duration = std::chrono::milliseconds;

  Duration now() const { return now_; }

  TimerId startTimer(Duration interval, bool repeat, std::function<void()> callback) {
    const TimerId id = nextId_++;
    timers_[id] = Timer{now_ + interval, interval, repeat, std::move(callback)};
    return id;
  }
  void stopTimer(TimerId id) { timers_.erase(id); }
  std::size_t pendingTimers() const { return timers_.size(); }

  void post(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(work));
  }

  /// Runs posted work (and what it posts) until none is left; returns how many ran.
  std::size_t runPosted() {
    std::size_t count = 0;
    for (;;) {
      std::function<void()> work;
      {
        std::lock_guard lock(mutex_);
        if (posted_.empty()) return count;
        work = std::move(posted_.front());
        posted_.pop_front();
      }
      work();
      ++count;
    }
  }

  /// Moves the clock forward to `time` (never back) without firing anything.
  void setNow(Duration time) {
    if (time > now_) now_ = time;
  }

  /// Fires the earliest timer due at or before `deadline`, moving the clock to its due time.
  bool fireNextTimer(Duration deadline) {
    auto next = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->second.due <= deadline && (next == timers_.end() || it->second.due < next->second.due))
        next = it;
    if (next == timers_.end()) return false;
    now_ = next->second.due;
    auto callback = next->second.callback;
    if (next->second.repeat)
      next->second.due += next->second.interval;
    else
      timers_.erase(next);
    callback();
    return true;
  }

 private:
  struct Timer {
    Duration due;
    Duration interval;
    bool repeat;
    std::function<void()> callback;
  };
  Duration now_{0};
  std::map<TimerId, Timer> timers_;
  TimerId nextId_ = 1;
  std::mutex mutex_;
  std::deque<std::function<void()>> posted_;
};

/// One component's view of the clock, with its own log tag and recorded log lines. Set
/// IKEMESH_TEST_VERBOSE=1 to see the lines as they are written.
class VirtualTimeHost final : public Host {
 public:
  VirtualTimeHost(VirtualClock& clock, std::string tag) : clock_(clock), tag_(std::move(tag)) {
    verbose_ = std::getenv("IKEMESH_TEST_VERBOSE") != nullptr;
  }

  WatchId watchFd(int, FdEvent, std::function<void()>) override { return 0; }
  void unwatchFd(WatchId) override {}
  TimerId startTimer(std::chrono::milliseconds interval, bool repeat,
                     std::function<void()> onTimeout) override {
    return clock_.startTimer(interval, repeat, std::move(onTimeout));
  }
  void stopTimer(TimerId id) override { clock_.stopTimer(id); }
  void postToMain(std::function<void()> work) override { clock_.post(std::move(work)); }
  /// Worker jobs run on the test thread too, but only when the test drains the queue: the
  /// engine must not assume they finish before submitWork() returns.
  void submitWork(std::function<void()> work) override { clock_.post(std::move(work)); }
  void log(LogLevel level, std::string_view message) override {
    static const char* names[] = {"debug", "info", "warning", "error"};
    std::string line = "[" + std::to_string(clock_.now().count()) + "ms] " + tag_ + " " +
                       names[static_cast<int>(level)] + ": " + std::string(message);
    if (verbose_) std::fprintf(stderr, "%s\n", line.c_str());
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  bool logEnabled(LogLevel) const override { return true; }
  std::optional<std::string> configValue(std::string_view conn, std::string_view key) const override {
    auto it = config_.find(std::string(conn) + "/" + std::string(key));
    if (it == config_.end()) return std::nullopt;
    return it->second;
  }
  /// Sets what configValue(conn, key) answers; `conn` empty means config setup.
  void setConfig(const std::string& conn, const std::string& key, const std::string& value) {
    config_[conn + "/" + key] = value;
  }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  /// Whether some log line contains `text`.
  bool logged(std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }

 private:
  VirtualClock& clock_;
  std::string tag_;
  bool verbose_ = false;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::map<std::string, std::string> config_;
};

}  // namespace ikemesh::testkit
