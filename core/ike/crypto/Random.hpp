// SPDX-License-Identifier: GPL-2.0-or-later
// Random octets from NSS's DRBG (PK11_GenerateRandom), for nonces, SPIs, IVs and cookies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh::ike {

/// Fills `out` with random octets. Thread-safe; NSS must be initialised.
Result<void> fillRandom(std::span<std::uint8_t> out);

/// `count` fresh random octets. Thread-safe; NSS must be initialised.
Result<std::vector<std::uint8_t>> randomBytes(std::size_t count);

}  // namespace ikemesh::ike
