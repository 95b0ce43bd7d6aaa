// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh {

/// Every address configured on this node's interfaces (its own addresses never trap).
std::vector<IpAddress> localAddresses();

/// The source address the kernel would pick to reach `peer` (what `left=%defaultroute`
/// means). Asks the routing table through an unconnected UDP socket; sends nothing.
Result<IpAddress> sourceAddressFor(const IpAddress& peer);

/// Whether the kernel can install an ESP state (probeKernelEsp(), EspProbe.hpp).
/// dataplane=auto picks xfrm when it can, else tun.
bool kernelHasEsp();

}  // namespace ikemesh
