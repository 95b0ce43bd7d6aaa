// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include <ikemesh/net.hpp>

namespace ikemesh::ike {

/// RFC 7296 §2.9 narrowing: the parts of the peer's `offered` selectors that our `allowed`
/// selectors also cover (pairwise intersections; empty when nothing is common).
std::vector<TrafficSelector> narrowTrafficSelectors(const std::vector<TrafficSelector>& offered,
                                                    const std::vector<TrafficSelector>& allowed);

/// Whether every selector of `inner` lies inside one selector of `outer` (the initiator's check
/// that the responder only narrowed, never widened).
bool trafficSelectorsWithin(const std::vector<TrafficSelector>& inner,
                            const std::vector<TrafficSelector>& outer);

}  // namespace ikemesh::ike
