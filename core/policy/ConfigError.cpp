// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ConfigError.hpp"

namespace ikemesh::policy {

std::string SourceLocation::toString() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line);
}

ConfigError fileError(const std::string& file, std::string reason) {
  ConfigError error;
  error.where.file = file;
  error.reason = std::move(reason);
  return error;
}

std::string joinErrors(const std::vector<ConfigError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += '\n';
    text += error.toString();
  }
  return text;
}

}  // namespace ikemesh::policy
