// SPDX-License-Identifier: GPL-2.0-or-later
// Giving up the capabilities the daemon does not need (DESIGN.md: least privilege), without
// libcap: capset(2) and the bounding set through prctl(2).
#pragma once

#include <string>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh {

/// Keeps only `keep` (CAP_* numbers) in the effective and permitted sets, clears the
/// inheritable and ambient sets and removes every other capability from the bounding set, so
/// that nothing this process or its children run can get them back. Capabilities are per
/// thread: call it while the process has one thread, before Qt or a plugin starts any.
/// Capabilities in `keep` that the process does not have are not added (nor an error).
Result<void> keepOnlyCapabilities(const std::vector<int>& keep);

/// The effective capabilities of `pid`'s main thread as CAP_* names ("cap_net_admin"), read
/// from /proc/PID/status (for `ikemesh status` and tests).
std::vector<std::string> effectiveCapabilityNames(int pid);

}  // namespace ikemesh
