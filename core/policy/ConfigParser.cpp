// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ConfigParser.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ikemesh::policy {

namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (isBlank(text.front()) || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (isBlank(text.back()) || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// A '#' at the start of a word begins a comment, outside double quotes. A '#' inside a word
// stays (leftid=@#0a1b is a valid Libreswan ID).
std::string_view stripComment(std::string_view line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"')
      quoted = !quoted;
    else if (line[i] == '#' && !quoted && (i == 0 || isBlank(line[i - 1])))
      return line.substr(0, i);
  }
  return line;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isBlank(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !isBlank(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool isSmallNumber(std::string_view text) {
  return !text.empty() && text.size() <= 2 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isValidConnName(std::string_view name) {
  if (name == "%default") return true;
  if (name.empty() || name.front() == '%') return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '"' || c == '=' || c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

// 'text', built by appending: GCC 12 at -O3 warns (-Wrestrict, a false positive) about
// "'" + std::string(...).
std::string singleQuoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out.append(text);
  out += '\'';
  return out;
}

bool hasWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

}  // namespace

const ConfigSetting* ConfigSection::find(std::string_view key) const {
  for (const auto& setting : settings) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

std::string ConfigSection::label() const {
  return kind == Kind::Setup ? std::string("config setup") : "conn '" + name + "'";
}

Result<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail("cannot read '" + path + "': " + std::strerror(errno));
  return text.str();
}

// The state of one parse: what has been read so far.
struct ConfigParser::Run {
  ParsedConfig parsed;
  std::vector<ConfigError> errors;
  std::vector<std::string> includeStack;  // canonical paths of the files being read
};

ConfigParser::ConfigParser(const ConfigSchema& schema, ParseOptions options)
    : schema_(schema), options_(options) {}

ConfigResult<ParsedConfig> ConfigParser::parseFile(const std::string& path) const {
  auto text = readTextFile(path);
  Run run;
  if (!text) {
    run.errors.push_back(fileError(path, text.error().message));
    return std::move(run.errors);
  }
  std::error_code ignored;
  run.includeStack.push_back(std::filesystem::weakly_canonical(path, ignored).string());
  parseInto(run, *text, path);
  if (!run.errors.empty()) return std::move(run.errors);
  return std::move(run.parsed);
}

ConfigResult<ParsedConfig> ConfigParser::parseText(std::string_view text, const std::string& fileName) const {
  Run run;
  std::error_code ignored;
  if (options_.followIncludes)
    run.includeStack.push_back(std::filesystem::weakly_canonical(fileName, ignored).string());
  parseInto(run, text, fileName);
  if (!run.errors.empty()) return std::move(run.errors);
  return std::move(run.parsed);
}

void ConfigParser::parseInto(Run& run, std::string_view text, const std::string& fileName) const {
  run.parsed.files.push_back(fileName);
  ConfigSection* current = nullptr;
  // After a broken section header, its settings are skipped instead of each being reported
  // as "outside of any section".
  bool inBrokenSection = false;
  int lineNumber = 0;
  std::size_t position = 0;
  while (position <= text.size()) {
    auto end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++lineNumber;
    if (end == text.size() && line.empty()) break;

    const SourceLocation where{fileName, lineNumber};
    auto error = [&](std::string reason) { run.errors.push_back({where, std::move(reason)}); };
    const bool indented = !line.empty() && isBlank(line.front());
    std::string_view body = trim(stripComment(line));
    if (body.empty()) continue;

    if (!indented) {
      current = nullptr;
      inBrokenSection = false;
      auto tokens = words(body);
      const auto keyword = tokens.front();
      if (keyword == "config") {
        if (tokens.size() != 2 || tokens[1] != "setup") {
          error(singleQuoted(body) + ": the only config section is 'config setup'");
          inBrokenSection = true;
          continue;
        }
        run.parsed.sections.push_back({ConfigSection::Kind::Setup, "", where, {}});
        current = &run.parsed.sections.back();
      } else if (keyword == "conn") {
        if (tokens.size() != 2 || !isValidConnName(tokens[1])) {
          error(singleQuoted(body) + ": expected 'conn NAME' with one name (letters, digits, '-', '_', '.')");
          inBrokenSection = true;
          continue;
        }
        run.parsed.sections.push_back({ConfigSection::Kind::Conn, std::string(tokens[1]), where, {}});
        current = &run.parsed.sections.back();
      } else if (keyword == "include") {
        if (tokens.size() != 2) {
          error(singleQuoted(body) + ": expected 'include FILE-OR-GLOB'");
          continue;
        }
        include(run, tokens[1], where);
        // sections may have moved; no section continues past an include
        current = nullptr;
      } else if (keyword == "version") {
        if (tokens.size() != 2 || (tokens[1] != "2" && tokens[1] != "2.0"))
          error(singleQuoted(body) + ": only 'version 2' is known");
      } else if (body.find('=') != std::string_view::npos) {
        error(singleQuoted(body) +
              ": a setting must be indented (with tabs or spaces) under 'conn NAME' or 'config setup'");
      } else {
        error(
            "unexpected '" + std::string(keyword) +
            "' at the start of a line; expected 'conn NAME', 'config setup', 'include FILE' or 'version 2'");
      }
      continue;
    }

    if (inBrokenSection) continue;
    if (current == nullptr) {
      error(singleQuoted(body) +
            ": a setting outside of any section (no 'conn NAME' or 'config setup' above it)");
      continue;
    }

    // key [spaces] = [spaces] value | "quoted value"
    std::size_t keyEnd = 0;
    while (keyEnd < body.size() && body[keyEnd] != '=' && !isBlank(body[keyEnd])) ++keyEnd;
    std::string_view key = body.substr(0, keyEnd);
    std::size_t i = keyEnd;
    while (i < body.size() && isBlank(body[i])) ++i;
    if (key.empty() || i >= body.size() || body[i] != '=') {
      error(singleQuoted(body) + ": expected KEY=VALUE");
      continue;
    }
    ++i;
    while (i < body.size() && isBlank(body[i])) ++i;
    std::string_view value;
    std::string_view rest;
    bool quoted = false;
    if (i < body.size() && body[i] == '"') {
      auto close = body.find('"', i + 1);
      if (close == std::string_view::npos) {
        error(std::string(key) + "=: the value's closing '\"' is missing");
        continue;
      }
      quoted = true;
      value = body.substr(i + 1, close - i - 1);
      rest = trim(body.substr(close + 1));
    } else {
      std::size_t valueEnd = i;
      while (valueEnd < body.size() && !isBlank(body[valueEnd])) ++valueEnd;
      value = body.substr(i, valueEnd - i);
      rest = trim(body.substr(valueEnd));
    }
    if (!rest.empty()) {
      std::string reason = std::string(body) + ": unexpected '" + std::string(rest) + "' after the value";
      if (isSmallNumber(rest))
        reason += " (a footnote number pasted from the guide?)";
      else if (!quoted)
        reason += " (put the value in double quotes if it contains spaces)";
      error(std::move(reason));
      continue;
    }

    const std::string sectionLabel = current->label();
    // Libreswan ignores keys that start with x- (user extensions); so do we, keeping them.
    if (key.size() > 2 && (key[0] == 'x' || key[0] == 'X') && key[1] == '-') {
      current->settings.push_back({std::string(key), std::string(key), std::string(value), where});
      continue;
    }
    const KeyDefinition* definition = schema_.find(key);
    if (definition == nullptr) {
      error("unknown key '" + std::string(key) + "' in " + sectionLabel);
      continue;
    }
    const bool inSetup = current->kind == ConfigSection::Kind::Setup;
    if (inSetup && definition->scope == KeyScope::Conn) {
      error("key '" + std::string(key) + "' belongs in a conn section, not in config setup");
      continue;
    }
    if (!inSetup && definition->scope == KeyScope::Setup) {
      error("key '" + std::string(key) + "' belongs in config setup, not in " + sectionLabel);
      continue;
    }
    std::string canonical = schema_.canonicalName(*definition);
    if (canonical != "also") {
      if (const ConfigSetting* first = current->find(canonical)) {
        std::string reason = singleQuoted(key) + " is set twice in " + sectionLabel + " (first";
        if (first->writtenKey != key) reason += " as '" + first->writtenKey + "'";
        error(reason + " at " + first->where.toString() + ")");
        continue;
      }
    }
    if (!value.empty()) {
      if (auto problem = schema_.checkValue(*definition, value)) {
        error(std::move(*problem));
        continue;
      }
    }
    current->settings.push_back({std::move(canonical), std::string(key), std::string(value), where});
  }
}

void ConfigParser::include(Run& run, std::string_view patternText, const SourceLocation& where) const {
  auto error = [&](std::string reason) { run.errors.push_back({where, std::move(reason)}); };
  const std::string shown = "include " + std::string(patternText);
  if (!options_.followIncludes) {
    error(shown + ": includes are disabled for this parse");
    return;
  }
  if (static_cast<int>(run.includeStack.size()) > options_.maxIncludeDepth) {
    error(shown + ": includes nested more than " + std::to_string(options_.maxIncludeDepth) + " deep");
    return;
  }
  std::filesystem::path pattern(patternText);
  if (pattern.is_relative()) pattern = std::filesystem::path(where.file).parent_path() / pattern;

  std::vector<std::string> files;
  glob_t matches{};
  int status = ::glob(pattern.c_str(), 0, nullptr, &matches);
  if (status == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) files.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  if (status != 0 && status != GLOB_NOMATCH) {
    error(shown + ": cannot list '" + pattern.string() + "'");
    return;
  }
  // A glob that matches nothing is fine (an empty ipsec.d); a plain name must exist.
  if (files.empty() && !hasWildcard(patternText)) {
    error(shown + ": no such file '" + pattern.string() + "'");
    return;
  }
  for (const auto& file : files) {
    std::error_code ignored;
    std::string canonical = std::filesystem::weakly_canonical(file, ignored).string();
    if (std::find(run.includeStack.begin(), run.includeStack.end(), canonical) != run.includeStack.end()) {
      error(shown + ": '" + file + "' is already being read (an include loop)");
      continue;
    }
    if (std::filesystem::is_directory(file, ignored)) continue;
    auto text = readTextFile(file);
    if (!text) {
      error(shown + ": " + text.error().message);
      continue;
    }
    run.includeStack.push_back(canonical);
    parseInto(run, *text, file);
    run.includeStack.pop_back();
  }
}

}  // namespace ikemesh::policy
