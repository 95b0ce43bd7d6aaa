// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/host.hpp>

namespace ikemesh {

/// "debug", "info", "warning" (or "warn"), "error".
std::optional<LogLevel> parseLogLevel(std::string_view text);
std::string_view logLevelName(LogLevel level);

/// The daemon's log: lines with a level and a tag (the part of the daemon or the plugin that
/// speaks), fanned out to sinks (stderr, a file, control-socket subscribers). Thread-safe.
class Logger {
 public:
  using Sink = std::function<void(LogLevel level, std::string_view tag, std::string_view text)>;
  using SinkId = std::uint64_t;

  void setLevel(LogLevel level);
  LogLevel level() const;
  bool enabled(LogLevel level) const;

  SinkId addSink(Sink sink);
  void removeSink(SinkId id);

  void log(LogLevel level, std::string_view tag, std::string_view text);
  void debug(std::string_view tag, std::string_view text) { log(LogLevel::Debug, tag, text); }
  void info(std::string_view tag, std::string_view text) { log(LogLevel::Info, tag, text); }
  void warning(std::string_view tag, std::string_view text) { log(LogLevel::Warning, tag, text); }
  void error(std::string_view tag, std::string_view text) { log(LogLevel::Error, tag, text); }

  /// "2026-11-26 17:30:51.123 info    core: text", the shape of every written line.
  static std::string format(LogLevel level, std::string_view tag, std::string_view text);

 private:
  mutable std::mutex mutex_;
  LogLevel level_ = LogLevel::Info;
  SinkId nextId_ = 1;
  std::vector<std::pair<SinkId, Sink>> sinks_;
};

}  // namespace ikemesh
