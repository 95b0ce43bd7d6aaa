// SPDX-License-Identifier: GPL-2.0-or-later
// Errors of the configuration and policy files: each names the file and line it is about, so
// that an administrator can go straight to the line (DESIGN.md §4).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh::policy {

/// Where something was written: a file and a 1-based line (0 = the file as a whole).
struct SourceLocation {
  std::string file;
  int line = 0;

  /// "mesh.conf:8", or "mesh.conf" when the line is 0.
  std::string toString() const;

  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

/// One problem in a configuration or policy file.
struct ConfigError {
  SourceLocation where;
  std::string reason;

  /// "FILE:LINE: reason", the shape every config error is logged in.
  std::string toString() const { return where.toString() + ": " + reason; }
};

/// An error about a whole file (line 0): it cannot be read, or names no conn.
ConfigError fileError(const std::string& file, std::string reason);

/// Either a T or the list (never empty) of every error found. The parsers keep going after an
/// error where they can, so that one run shows the administrator all the broken lines.
template <typename T>
class [[nodiscard]] ConfigResult {
 public:
  ConfigResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  ConfigResult(ConfigError error)
      : state_(std::in_place_index<1>, std::vector<ConfigError>{std::move(error)}) {}
  /// `errors` must not be empty.
  ConfigResult(std::vector<ConfigError> errors) : state_(std::in_place_index<1>, std::move(errors)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; only valid when ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The errors, in file order; only valid when !ok().
  const std::vector<ConfigError>& errors() const& { return std::get<1>(state_); }
  const ConfigError& firstError() const& { return errors().front(); }

  /// All errors as one ikemesh::Error, one "FILE:LINE: reason" per line.
  Error toError() const;

 private:
  std::variant<T, std::vector<ConfigError>> state_;
};

/// Joins errors into one message, one "FILE:LINE: reason" per line.
std::string joinErrors(const std::vector<ConfigError>& errors);

template <typename T>
Error ConfigResult<T>::toError() const {
  return fail(joinErrors(errors()));
}

}  // namespace ikemesh::policy
