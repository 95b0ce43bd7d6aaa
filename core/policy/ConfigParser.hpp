// SPDX-License-Identifier: GPL-2.0-or-later
// Reads ipsec.conf text (Libreswan syntax) into sections of checked key=value settings:
// `config setup`, `conn NAME`, `conn %default`, `include PATTERN` (globs, relative to the
// including file), `version 2`, `#` comments, settings indented by tabs or spaces, "quoted"
// values. Every key is checked against the schema and every value against its key's type
// here, so that an error points at the line that holds it. %default and also= are applied
// later, by ConfigLoader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/ConfigError.hpp"
#include "policy/ConfigSchema.hpp"

namespace ikemesh::policy {

/// One key=value line.
struct ConfigSetting {
  std::string key;         ///< canonical name ("ipsec-lifetime" for salifetime=)
  std::string writtenKey;  ///< as written
  std::string value;       ///< unquoted; empty means "unset" (overrides %default and also=)
  SourceLocation where;
};

/// One `config setup` or `conn NAME` section.
struct ConfigSection {
  enum class Kind : std::uint8_t { Setup, Conn };
  Kind kind = Kind::Conn;
  std::string name;      ///< the conn's name ("%default" included); empty for config setup
  SourceLocation where;  ///< the section's header line
  /// In file order. Each key appears once, except also=, which may be repeated.
  std::vector<ConfigSetting> settings;

  const ConfigSetting* find(std::string_view key) const;
  /// "conn 'private'" or "config setup", for messages.
  std::string label() const;
};

/// The sections of a main file and everything it includes, in reading order.
struct ParsedConfig {
  std::vector<ConfigSection> sections;
  std::vector<std::string> files;  ///< every file read, the main file first
};

struct ParseOptions {
  /// When false, an `include` line is an error; parseText() then touches no file (fuzzing).
  bool followIncludes = true;
  /// Nesting depth after which include is refused (include loops are also detected).
  int maxIncludeDepth = 10;
};

class ConfigParser {
 public:
  /// `schema` must outlive the parser.
  explicit ConfigParser(const ConfigSchema& schema, ParseOptions options = {});

  /// Reads and parses `path` and the files it includes.
  ConfigResult<ParsedConfig> parseFile(const std::string& path) const;

  /// Parses `text` as if read from `fileName`, which errors name and relative includes are
  /// resolved against.
  ConfigResult<ParsedConfig> parseText(std::string_view text, const std::string& fileName) const;

 private:
  struct Run;
  void parseInto(Run& run, std::string_view text, const std::string& fileName) const;
  void include(Run& run, std::string_view pattern, const SourceLocation& where) const;

  const ConfigSchema& schema_;
  ParseOptions options_;
};

/// Reads a whole file; the error names the file and the system's reason.
Result<std::string> readTextFile(const std::string& path);

}  // namespace ikemesh::policy
