// SPDX-License-Identifier: GPL-2.0-or-later
// Wiping key material the core holds in plain buffers (the SDK's SaParams and AuthExchange
// carry keys in std::vector, so that plugins need nothing but the standard library).
#pragma once

#include <string.h>  // explicit_bzero (glibc)

#include <cstdint>
#include <span>

namespace ikemesh {

/// Zeroes `bytes` in a way the compiler may not drop as a dead store (explicit_bzero).
inline void secureZero(std::span<std::uint8_t> bytes) noexcept {
  if (!bytes.empty()) explicit_bzero(bytes.data(), bytes.size());
}

}  // namespace ikemesh
