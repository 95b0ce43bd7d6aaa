// SPDX-License-Identifier: GPL-2.0-or-later
// The services the daemon gives a plugin: its event loop, a worker pool, logging and the
// configuration. A plugin receives one Host at construction and may keep the reference for
// its whole life; the Host outlives every plugin.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ikemesh {

enum class LogLevel : std::uint8_t { Debug, Info, Warning, Error };

/// Which readiness of a file descriptor a watch reports.
enum class FdEvent : std::uint8_t { Readable = 1, Writable = 2 };

/// Identifies a watch or a timer; 0 is never a valid id.
using WatchId = std::uint64_t;
using TimerId = std::uint64_t;

/// Event loop, worker pool, logging and configuration, as seen by one plugin.
///
/// Threading: every member must be called on the main thread, except postToMain(),
/// submitWork() and log(), which may be called from any thread. Callbacks given to watchFd(),
/// startTimer() and postToMain() run on the main thread; callbacks given to submitWork() run on a
/// worker thread. A callback must not throw.
class Host {
 public:
  virtual ~Host() = default;

  /// Calls `onReady` on the main thread whenever `fd` is ready for `event`, until unwatchFd().
  /// The plugin keeps owning `fd` and must unwatch it before closing it.
  virtual WatchId watchFd(int fd, FdEvent event, std::function<void()> onReady) = 0;
  virtual void unwatchFd(WatchId id) = 0;

  /// Calls `onTimeout` on the main thread after `interval`, once or (with `repeat`) every
  /// interval until stopTimer(). A one-shot timer is forgotten after it fired.
  virtual TimerId startTimer(std::chrono::milliseconds interval, bool repeat,
                             std::function<void()> onTimeout) = 0;
  virtual void stopTimer(TimerId id) = 0;

  /// Runs `work` on the main thread soon. Thread-safe; this is how worker threads and a
  /// plugin's own fast-path threads hand results back to the core.
  virtual void postToMain(std::function<void()> work) = 0;

  /// Runs `work` on the daemon's worker pool (expensive crypto, blocking lookups). Thread-safe.
  virtual void submitWork(std::function<void()> work) = 0;

  /// Logs one line tagged with the plugin's name. Thread-safe.
  virtual void log(LogLevel level, std::string_view message) = 0;

  /// Whether messages at `level` are written; lets a plugin skip formatting debug output.
  virtual bool logEnabled(LogLevel level) const = 0;

  /// The value of `key` in connection `conn` after `also=` and `%default` are applied, or in
  /// `config setup` when `conn` is empty; nullopt when the key is not set there. Only keys
  /// the plugin declared in its descriptor, or the standard ipsec.conf keys, are answered.
  virtual std::optional<std::string> configValue(std::string_view conn, std::string_view key) const = 0;
};

}  // namespace ikemesh
