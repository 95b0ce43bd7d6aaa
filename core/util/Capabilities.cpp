// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/Capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

namespace ikemesh {

namespace {

/// The highest capability number this kernel knows.
int lastCapability() {
  std::ifstream file("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  file >> last;
  return last;
}

/// Names in the order of the CAP_* numbers of linux/capability.h (Linux 6.1).
constexpr const char* kNames[] = {
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
};

}  // namespace

Result<void> keepOnlyCapabilities(const std::vector<int>& keep) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return fail(std::string("capget: ") + std::strerror(errno));
  const std::uint64_t permitted = data[0].permitted | (std::uint64_t{data[1].permitted} << 32);
  std::uint64_t wanted = 0;
  for (int cap : keep) wanted |= std::uint64_t{1} << cap;
  wanted &= permitted;

  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes next.
  for (int cap = 0; cap <= lastCapability(); ++cap) {
    if (wanted & (std::uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
        errno != EINVAL)
      return fail("removing capability " + std::to_string(cap) +
                  " from the bounding set: " + std::strerror(errno));
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  data[0] = {static_cast<std::uint32_t>(wanted), static_cast<std::uint32_t>(wanted), 0};
  data[1] = {static_cast<std::uint32_t>(wanted >> 32), static_cast<std::uint32_t>(wanted >> 32), 0};
  if (::syscall(SYS_capset, &header, data) != 0) return fail(std::string("capset: ") + std::strerror(errno));
  return success();
}

std::vector<std::string> effectiveCapabilityNames(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::vector<std::string> names;
  for (std::string line; std::getline(status, line);) {
    if (!line.starts_with("CapEff:")) continue;
    const std::uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
    for (int cap = 0; cap < 64; ++cap) {
      if (!(mask & (std::uint64_t{1} << cap))) continue;
      names.push_back(cap < static_cast<int>(std::size(kNames)) ? kNames[cap] : "cap_" + std::to_string(cap));
    }
  }
  return names;
}

}  // namespace ikemesh
