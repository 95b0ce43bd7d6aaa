// SPDX-License-Identifier: GPL-2.0-or-later
// When to rekey, as Libreswan computes it from ikelifetime / ipsec-lifetime, rekeymargin and
// rekeyfuzz: at lifetime - (margin + a random part of margin * fuzz%), so that peers that
// came up together do not all rekey at the same moment (RFC 7296 §2.8 leaves this to us).
#pragma once

#include <chrono>
#include <cstdint>

namespace ikemesh::ike {

/// The margin rekeyAfter() works with: `margin`, or a tenth of the lifetime when the margin
/// and its fuzz would leave no time.
std::chrono::milliseconds effectiveRekeyMargin(std::chrono::milliseconds lifetime,
                                               std::chrono::milliseconds margin, int fuzzPercent);

/// The rekey time for an SA of `lifetime`. `randomUnit` is uniform in [0, 1]. A margin that
/// would leave no time (short lifetimes in tests and labs) shrinks to a tenth of the lifetime.
std::chrono::milliseconds rekeyAfter(std::chrono::milliseconds lifetime, std::chrono::milliseconds margin,
                                     int fuzzPercent, double randomUnit);

/// The same with a random draw.
std::chrono::milliseconds rekeyAfter(std::chrono::milliseconds lifetime, std::chrono::milliseconds margin,
                                     int fuzzPercent);

}  // namespace ikemesh::ike
