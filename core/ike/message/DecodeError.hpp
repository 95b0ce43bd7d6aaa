// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "ike/message/IkeHeader.hpp"

namespace ikemesh::ike {

/// Why a datagram or an inner payload chain was rejected, with what the engine needs to answer.
struct DecodeError {
  enum class Kind : std::uint8_t {
    /// Anything structurally wrong: drop, or answer INVALID_SYNTAX inside an IKE SA (§2.21).
    Malformed,
    /// Major version above 2: answer INVALID_MAJOR_VERSION (RFC 7296 §2.5). IKEv1 (major 1)
    /// is Malformed.
    InvalidMajorVersion,
    /// An unknown payload type with the critical bit set: answer UNSUPPORTED_CRITICAL_PAYLOAD
    /// with `unsupportedPayloadType` as the notification data (RFC 7296 §2.5).
    UnsupportedCriticalPayload,
  };

  Kind kind = Kind::Malformed;
  /// Names the field and the reason, e.g. "SA payload: proposal 1: transform 3: attribute length
  /// 9 exceeds the transform (6 bytes left)".
  std::string message;
  std::uint8_t unsupportedPayloadType = 0;
  /// The header, when the 28 header octets could be read (to address an answer).
  std::optional<IkeHeader> header;
};

/// Either a decoded T or a DecodeError; shaped like ikemesh::Result.
template <typename T>
class [[nodiscard]] DecodeResult {
 public:
  DecodeResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  DecodeResult(DecodeError error) : state_(std::in_place_index<1>, std::move(error)) {}

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
  const DecodeError& error() const& { return std::get<1>(state_); }
  DecodeError&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, DecodeError> state_;
};

}  // namespace ikemesh::ike
