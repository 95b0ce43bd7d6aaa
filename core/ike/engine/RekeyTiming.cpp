// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/RekeyTiming.hpp"

#include <algorithm>
#include <random>

namespace ikemesh::ike {

std::chrono::milliseconds effectiveRekeyMargin(std::chrono::milliseconds lifetime,
                                               std::chrono::milliseconds margin, int fuzzPercent) {
  fuzzPercent = std::clamp(fuzzPercent, 0, 1000);
  auto widest = margin + margin * fuzzPercent / 100;
  return margin.count() <= 0 || widest >= lifetime ? lifetime / 10 : margin;
}

std::chrono::milliseconds rekeyAfter(std::chrono::milliseconds lifetime, std::chrono::milliseconds margin,
                                     int fuzzPercent, double randomUnit) {
  fuzzPercent = std::clamp(fuzzPercent, 0, 1000);
  randomUnit = std::clamp(randomUnit, 0.0, 1.0);
  margin = effectiveRekeyMargin(lifetime, margin, fuzzPercent);
  auto fuzz = std::chrono::milliseconds(
      static_cast<std::int64_t>(margin.count() * (fuzzPercent / 100.0) * randomUnit));
  auto at = lifetime - margin - fuzz;
  return std::max(at, std::chrono::milliseconds(1));
}

std::chrono::milliseconds rekeyAfter(std::chrono::milliseconds lifetime, std::chrono::milliseconds margin,
                                     int fuzzPercent) {
  // Jitter, not a secret: the standard generator is enough.
  thread_local std::mt19937 generator(std::random_device{}());
  return rekeyAfter(lifetime, margin, fuzzPercent,
                    std::uniform_real_distribution<double>(0.0, 1.0)(generator));
}

}  // namespace ikemesh::ike
