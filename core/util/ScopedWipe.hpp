// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <vector>

#include "util/SecureZero.hpp"

namespace ikemesh {

/// Zeroes a key buffer the core must hand over in a plain vector (AuthExchange::skP,
/// SaParams keys) when the scope that handed it over ends, on every path out of it.
/// Holds a reference: the buffer must outlive the guard.
class ScopedWipe {
 public:
  explicit ScopedWipe(std::vector<std::uint8_t>& bytes) noexcept : bytes_(bytes) {}
  ~ScopedWipe() { secureZero(bytes_); }
  ScopedWipe(const ScopedWipe&) = delete;
  ScopedWipe& operator=(const ScopedWipe&) = delete;

 private:
  std::vector<std::uint8_t>& bytes_;
};

}  // namespace ikemesh
