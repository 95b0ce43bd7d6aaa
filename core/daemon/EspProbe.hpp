// SPDX-License-Identifier: GPL-2.0-or-later
// Whether the kernel can do ESP, asked the only reliable way: by installing an ESP state.
#pragma once

#include <string>

namespace ikemesh {

/// The probe's answer: whether `dataplane=auto` means xfrm, and why.
struct EspProbeResult {
  bool canInstallEsp = false;
  std::string reason;  ///< "installed and removed a test ESP state" or the kernel's refusal
};

/// Installs an AES-GCM ESP state on 127.0.0.1 through NETLINK_XFRM and removes it again
/// (a kernel without esp4 refuses it with EPROTONOSUPPORT). Without CAP_NET_ADMIN the
/// probe falls back to looking for the esp4 module. Asked once per process; thread-safe.
const EspProbeResult& probeKernelEsp();

}  // namespace ikemesh
