// SPDX-License-Identifier: GPL-2.0-or-later
// Part of the SDK test kit (installed with the headers; standard library only).
#pragma once

#include <string>
#include <vector>

namespace ikemesh::testkit {

/// The failures of a conformance check as one text, for a test's message.
inline std::string joinFailures(const std::vector<std::string>& failures) {
  std::string text;
  for (const auto& failure : failures) text += "\n  " + failure;
  return text;
}

}  // namespace ikemesh::testkit
