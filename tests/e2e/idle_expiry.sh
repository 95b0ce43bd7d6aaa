#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Idle opportunistic instances expire, and the next packet negotiates again (issue 6):
# - private-idle (CHILD SA rekey every 2 s): an instance that received nothing within the
#   rekey margin is not rekeyed at its rekey time; its IKE SA is deleted (Libreswan's
#   behaviour), it leaves trafficstatus on both nodes, the trap is back (the next ping is an
#   acquire) and that ping gets its reply through a new tunnel;
# - a busy instance of the same conn is rekeyed every 2 s and loses no ping;
# - private-inactive (strongSwan's inactivity=2s, default lifetime): deleted after 2 s idle.
source "$IKEMESH_TEST_LIB"
ikm_init idle-expiry
conf="$IKEMESH_SOURCE/tests/data/idle-expiry/mesh.conf"
# n1, n2, n4 see each other in private-idle and n3 in private-inactive; n3 sees all in
# private-inactive.
for side in a b; do
  mkdir -p "$IKM_TMP/policies-$side"
  : >"$IKM_TMP/policies-$side/private-idle"
  : >"$IKM_TMP/policies-$side/private-inactive"
done
echo 10.15.1.0/24 >"$IKM_TMP/policies-a/private-idle"
echo 10.15.2.0/24 >"$IKM_TMP/policies-a/private-inactive"
echo 10.15.0.0/16 >"$IKM_TMP/policies-b/private-inactive"

ikm_lan
declare -A address=([n1]=10.15.1.1 [n2]=10.15.1.2 [n3]=10.15.2.3 [n4]=10.15.1.4)
for node in n1 n2 n3 n4; do
  ikm_node "$node" "${address[$node]}/16"
  policies=a
  [[ $node == n3 ]] && policies=b
  ikm_start_daemon "$node" "$(ikm_nsname "$node")" -- --config "$conf" \
    --policies "$IKM_TMP/policies-$policies" --plugindir "$IKEMESH_BUILD/plugins"
  declare "ctl_$node=$IKM_CTL" "pid_$node=$IKM_PID"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl_$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }
tunnel_to() { cli "$1" trafficstatus | grep -q "\.\.\.$2, type=ESP"; }
no_tunnel_to() { ! tunnel_to "$@"; }
# The serial (#N) of the newest tunnel line of NODE to PEER.
newest_serial() { cli "$1" trafficstatus | grep "\.\.\.$2, type=ESP" | sed 's/^#\([0-9]*\):.*/\1/' | sort -n | tail -1; }
acquires() { cli n1 status --json | jq '.ike.acquires'; }

ikm_log "tunnels n1 -> n4 (private-idle) and n1 -> n3 (private-inactive); n1 -> n2 stays busy"
run n1 ping -c 1 -W 5 10.15.1.4 >&2 || ikm_fail "n1 -> n4: no reply to the first ping"
run n1 ping -c 1 -W 5 10.15.2.3 >&2 || ikm_fail "n1 -> n3: no reply to the first ping"
tunnel_to n1 10.15.1.4 || ikm_fail "no tunnel n1 -> n4: $(cli n1 trafficstatus)"
tunnel_to n1 10.15.2.3 || ikm_fail "no tunnel n1 -> n3: $(cli n1 trafficstatus)"
run n1 ping -c 40 -i 0.2 -W 2 10.15.1.2 >"$IKM_TMP/busy-ping.txt" 2>&1 &
busy_ping=$!
ikm_track "$busy_ping"
ikm_wait_for 5 "the busy tunnel n1 -> n2" tunnel_to n1 10.15.1.2
busy_first=$(newest_serial n1 10.15.1.2)
acquires_before=$(acquires)

ikm_log "the idle private-idle instance expires at its rekey time, on both nodes"
started=$SECONDS
ikm_wait_for 15 "n1's idle instance to n4 to expire" no_tunnel_to n1 10.15.1.4
ikm_wait_for 5 "n4's side of it to go" no_tunnel_to n4 10.15.1.1
ikm_log "gone after $((SECONDS - started))s"
grep -h "received nothing for 2s: not rekeyed, deleting IKE SA" "$IKM_TMP"/n{1,4}/daemon.log >&2 ||
  ikm_fail "no idle-expiry log line on n1 or n4"
[[ -z $(cli n4 showstates) ]] || ikm_fail "n4 kept state: $(cli n4 showstates)"

ikm_log "the inactive private-inactive instance is deleted after inactivity=2s"
ikm_wait_for 10 "n1's inactive instance to n3 to go" no_tunnel_to n1 10.15.2.3
ikm_wait_for 5 "n3's side of it to go" no_tunnel_to n3 10.15.1.1
grep -h "s (inactivity=): deleting it and its IKE SA" "$IKM_TMP"/n{1,3}/daemon.log >&2 ||
  ikm_fail "no inactivity log line on n1 or n3"

ikm_log "the trap is back: the next pings are acquires and get their replies through new tunnels"
run n1 ping -c 1 -W 5 10.15.1.4 >&2 || ikm_fail "n1 -> n4 after the expiry: no reply"
run n1 ping -c 1 -W 5 10.15.2.3 >&2 || ikm_fail "n1 -> n3 after the inactivity delete: no reply"
tunnel_to n1 10.15.1.4 || ikm_fail "no new tunnel n1 -> n4"
tunnel_to n1 10.15.2.3 || ikm_fail "no new tunnel n1 -> n3"
((acquires_after = $(acquires), acquires_after == acquires_before + 2)) ||
  ikm_fail "expected 2 more acquires, saw $acquires_before -> $acquires_after"

ikm_log "the busy instance was rekeyed, not expired, and lost no ping"
wait "$busy_ping" || ikm_fail "busy ping: $(tail -3 "$IKM_TMP/busy-ping.txt")"
grep -q " 0% packet loss" "$IKM_TMP/busy-ping.txt" || ikm_fail "busy ping lost packets: $(tail -2 "$IKM_TMP/busy-ping.txt")"
busy_last=$(newest_serial n1 10.15.1.2)
[[ -n $busy_last ]] || ikm_fail "the busy tunnel n1 -> n2 is gone: $(cli n1 trafficstatus)"
((busy_last > busy_first)) || ikm_fail "the busy tunnel was not rekeyed (#$busy_first -> #$busy_last)"
if grep -E "\.\.\.10\.15\.1\.2 received nothing" "$IKM_TMP"/n{1,2}/daemon.log; then
  ikm_fail "the busy instance was expired as idle"
fi
ikm_log "busy tunnel: CHILD SA #$busy_first -> #$busy_last, $(grep -c 'bytes from' "$IKM_TMP/busy-ping.txt") replies"

for node in n1 n2 n3 n4; do
  pid="pid_$node"
  ikm_stop_daemon "${!pid}"
done
ikm_pass
