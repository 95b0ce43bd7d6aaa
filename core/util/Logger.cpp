// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/Logger.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace ikemesh {

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::Debug;
  if (text == "info") return LogLevel::Info;
  if (text == "warning" || text == "warn") return LogLevel::Warning;
  if (text == "error") return LogLevel::Error;
  return std::nullopt;
}

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

void Logger::setLevel(LogLevel level) {
  std::lock_guard lock(mutex_);
  level_ = level;
}

LogLevel Logger::level() const {
  std::lock_guard lock(mutex_);
  return level_;
}

bool Logger::enabled(LogLevel level) const {
  return level >= this->level();
}

Logger::SinkId Logger::addSink(Sink sink) {
  std::lock_guard lock(mutex_);
  sinks_.emplace_back(nextId_, std::move(sink));
  return nextId_++;
}

void Logger::removeSink(SinkId id) {
  std::lock_guard lock(mutex_);
  std::erase_if(sinks_, [id](const auto& entry) { return entry.first == id; });
}

void Logger::log(LogLevel level, std::string_view tag, std::string_view text) {
  std::lock_guard lock(mutex_);
  if (level < level_) return;
  for (auto& [id, sink] : sinks_) sink(level, tag, text);
}

std::string Logger::format(LogLevel level, std::string_view tag, std::string_view text) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t seconds = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  char head[64];
  std::snprintf(head, sizeof head, "%s.%03d %-7s ", stamp, static_cast<int>(millis),
                logLevelName(level).data());
  std::string line(head);
  line.append(tag).append(": ").append(text);
  return line;
}

}  // namespace ikemesh
