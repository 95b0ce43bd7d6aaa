// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/TrafficSelectorNarrowing.hpp"

#include <algorithm>
#include <optional>

namespace ikemesh::ike {

namespace {

std::optional<TrafficSelector> intersect(const TrafficSelector& a, const TrafficSelector& b) {
  if (a.start.family() != b.start.family()) return std::nullopt;
  TrafficSelector out;
  out.start = std::max(a.start, b.start);
  out.end = std::min(a.end, b.end);
  if (out.end < out.start) return std::nullopt;
  if (a.protocol != 0 && b.protocol != 0 && a.protocol != b.protocol) return std::nullopt;
  out.protocol = a.protocol != 0 ? a.protocol : b.protocol;
  out.startPort = std::max(a.startPort, b.startPort);
  out.endPort = std::min(a.endPort, b.endPort);
  if (out.endPort < out.startPort) return std::nullopt;
  return out;
}

}  // namespace

std::vector<TrafficSelector> narrowTrafficSelectors(const std::vector<TrafficSelector>& offered,
                                                    const std::vector<TrafficSelector>& allowed) {
  std::vector<TrafficSelector> out;
  for (const auto& o : offered)
    for (const auto& a : allowed)
      if (auto common = intersect(o, a); common && std::find(out.begin(), out.end(), *common) == out.end())
        out.push_back(*common);
  return out;
}

bool trafficSelectorsWithin(const std::vector<TrafficSelector>& inner,
                            const std::vector<TrafficSelector>& outer) {
  if (inner.empty()) return false;
  return std::all_of(inner.begin(), inner.end(), [&](const TrafficSelector& ts) {
    return std::any_of(outer.begin(), outer.end(), [&](const TrafficSelector& o) {
      auto common = intersect(ts, o);
      return common && *common == ts;
    });
  });
}

}  // namespace ikemesh::ike
