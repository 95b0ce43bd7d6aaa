#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mesh events between real daemons on kernel-tun: two nodes that ping each other at the same
# moment end with one working tunnel; a peer that restarts (losing all state) is back in a
# tunnel within seconds, its old SAs cleared by INITIAL_CONTACT (RFC 7296 §2.4).
source "$IKEMESH_TEST_LIB"
ikm_init mesh-events
etc="$IKEMESH_SOURCE/tests/data/tun-mesh"
ikm_lan
for i in 1 2; do
  ikm_node "n$i" "10.15.1.$i/16"
  ikm_start_daemon "n$i" "$(ikm_nsname "n$i")" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  declare "ctl$i=$IKM_CTL" "pid$i=$IKM_PID"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }

ikm_log "both nodes ping each other at the same moment"
run n1 ping -c 3 -i 0.2 -W 10 10.15.1.2 >"$IKM_TMP/p1" &
a=$!
run n2 ping -c 3 -i 0.2 -W 10 10.15.1.1 >"$IKM_TMP/p2" &
b=$!
wait $a || ikm_fail "n1 -> n2: $(cat "$IKM_TMP/p1")"
wait $b || ikm_fail "n2 -> n1: $(cat "$IKM_TMP/p2")"
sleep 1
for i in 1 2; do
  ikes=$(cli $i showstates | grep -c "established IKE SA" || true)
  tunnels=$(cli $i trafficstatus | grep -c "type=ESP" || true)
  ((ikes == 1 && tunnels == 1)) || ikm_fail "n$i has $ikes IKE SAs and $tunnels tunnels: $(cli $i showstates)"
done
run n1 ping -c 2 -i 0.2 -W 5 10.15.1.2 >/dev/null || ikm_fail "the tunnel does not carry traffic"

ikm_log "n2 restarts without a word (kill -9); n1 is back in a tunnel within seconds"
kill -9 "$pid2"
wait "$pid2" 2>/dev/null || true
ikm_start_daemon n2-again "$(ikm_nsname n2)" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
ctl2=$IKM_CTL
start=$(date +%s%N)
run n2 ping -c 1 -W 10 10.15.1.1 >&2 || ikm_fail "n2 -> n1 after the restart"
ikm_log "first reply after the restart in $((($(date +%s%N) - start) / 1000000)) ms"
sleep 1
ikes=$(cli 1 showstates | grep -c "established IKE SA" || true)
((ikes == 1)) || ikm_fail "n1 kept the dead peer's IKE SA beside the new one: $(cli 1 showstates)"
run n1 ping -c 2 -i 0.2 -W 5 10.15.1.2 >/dev/null || ikm_fail "n1 -> n2 after the restart"
ikm_pass
