// SPDX-License-Identifier: GPL-2.0-or-later
// The service manager's readiness protocol (sd_notify(3)), written out so that the daemon
// needs no libsystemd: one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or an abstract name when it starts with '@').
#pragma once

#include <string_view>

#include <ikemesh/result.hpp>

namespace ikemesh {

/// Sends `state` ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...") to the service
/// manager. Without $NOTIFY_SOCKET (not started by systemd with Type=notify) it does nothing
/// and succeeds; the error names the socket and the reason.
Result<void> notifyServiceManager(std::string_view state);

}  // namespace ikemesh
