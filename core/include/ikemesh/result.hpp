// SPDX-License-Identifier: GPL-2.0-or-later
// A value-or-error type for everything that can fail across the plugin boundary. Errors are
// values here: no exception crosses from a plugin into the core (STYLE.md, practice 10).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ikemesh {

/// Why an operation failed: a short, human-readable sentence that names what failed and why,
/// fit to be logged as it is.
struct Error {
  std::string message;
};

/// Builds an Error; reads well at return sites: `return fail("no such SA");`.
inline Error fail(std::string message) {
  return Error{std::move(message)};
}

/// Either a T or an Error. Cheap to move; check with `ok()` (or `if (result)`) before `value()`.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

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

  /// The error; only valid when !ok().
  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

/// Success or an Error, for operations that return nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

/// A successful Result<void>.
inline Result<void> success() {
  return {};
}

}  // namespace ikemesh
