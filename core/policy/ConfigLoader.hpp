// SPDX-License-Identifier: GPL-2.0-or-later
// Turns parsed sections into a Config: merges `config setup`, applies `conn %default` and
// also= (own settings win over also= targets, which win over %default, as in Libreswan),
// detects duplicate conns and also= cycles, and builds the typed Connections.
#pragma once

#include <string>
#include <string_view>

#include "policy/ConfigError.hpp"
#include "policy/ConfigParser.hpp"
#include "policy/ConfigSchema.hpp"
#include "policy/Connection.hpp"

namespace ikemesh::policy {

class ConfigLoader {
 public:
  /// `schema` (the standard keys plus the plugins' declarations) must outlive the loader.
  explicit ConfigLoader(const ConfigSchema& schema, ParseOptions options = {});

  /// Reads `path` (and its includes) and builds the Config.
  ConfigResult<Config> loadFile(const std::string& path) const;

  /// Parses `text` as if it were the file `fileName`, and builds the Config.
  ConfigResult<Config> loadText(std::string_view text, const std::string& fileName) const;

  /// Builds the Config from sections already parsed.
  ConfigResult<Config> build(const ParsedConfig& parsed) const;

 private:
  const ConfigSchema& schema_;
  ParseOptions options_;
};

}  // namespace ikemesh::policy
