// SPDX-License-Identifier: GPL-2.0-or-later
// The verbs on explicit conns (up, down, ondemand, unroute, add, delete): when the daemon's
// answer is the outcome the verb waits for, and that outcome in one line.
#pragma once

#include <QJsonObject>

#include <string>

namespace ikemesh::cli {

/// Whether `status` (the daemon's `connstatus` of the conn) is the end of `verb`: for `up`, an
/// outcome of attempt `attempt` or later that is not "negotiating"; for `down` and
/// `delete`, no IKE SA left; the other verbs end with their answer.
bool outcomeReached(const std::string& verb, const QJsonObject& status, qint64 attempt);

/// Whether the outcome is a success (the exit status is 0 then).
bool outcomeSucceeded(const std::string& verb, const QJsonObject& status);

/// `up: "s2s" established, IKE SA #3, CHILD SA #4 (198.51.100.0/24 === 203.0.113.0/24)`,
/// `up: "s2s" failed: REASON`, `down: "s2s" down, IKE SA #3 deleted`, ... `timedOut`: the wait
/// ended before the outcome.
std::string outcomeLine(const std::string& verb, const QJsonObject& status, bool timedOut = false);

/// The line for --async: what was asked, not what came of it.
std::string startedLine(const std::string& verb, const QJsonObject& answer);

}  // namespace ikemesh::cli
