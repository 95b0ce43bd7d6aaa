# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the VM tests, sourced after tests/lib/netns.sh and ikm_init, inside the guest.
# The guest's files vanish with it: on failure, what explains it goes to the console.

# ikm_vm_dump_on_failure NODE...: when the test failed, the tail of every daemon.log and
# charon.log under $IKM_TMP, the kernel's XFRM states and policies of each NODE's namespace,
# and the end of every capture.
ikm_vm_dump_on_failure() {
  ((IKM_FAILED)) || return 0
  local log node pcap
  for log in "$IKM_TMP"/*/daemon.log "$IKM_TMP"/*/charon.log; do
    [[ -f $log ]] || continue
    echo "---- $log" >&2
    tail -40 "$log" >&2
  done
  for node in "$@"; do
    echo "---- $node: ip -s xfrm state; ip xfrm policy" >&2
    ip netns exec "$(ikm_nsname "$node")" ip -s xfrm state >&2 2>/dev/null
    ip netns exec "$(ikm_nsname "$node")" ip xfrm policy >&2 2>/dev/null
  done
  for pcap in "$IKM_TMP"/*.pcap; do
    [[ -f $pcap ]] && tcpdump -n -r "$pcap" 2>/dev/null | tail -30 >&2
  done
}
