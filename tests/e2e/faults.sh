#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults with real daemons (kernel-tun, NULL auth) on one LAN, the host having no netem:
# 1. packet loss of 10 % and then 30 % on n2's link (iptables `statistic`, both directions,
#    IKE and ESP alike) with CHILD SAs that rekey every 3-6 s: the tunnel comes up, is rekeyed,
#    and pings keep getting through at the rate the loss allows. The rekey starts 3-6 s
#    before the 9 s hard expiry: at 30 % loss each way an exchange needs 2 tries on average,
#    and 5 or more (from 3 s on, with the 200 ms doubling) one time in 15; with a margin of
#    2 s the old SA expired under a late rekey every few runs and the pings fell in the gap;
# 2. n2's link down for 5 s and up again: the next pings get through;
# 3. n2's daemon restarted (SIGTERM, start) while n1 pings every 50 ms: n2 says DELETE as it
#    stops, so n1 negotiates again at once and the pings resume through a new tunnel; n2
#    holds one TUN device and one rule set, not two.
# Prints each phase's numbers.
source "$IKEMESH_TEST_LIB"
ikm_init faults
command -v iptables >/dev/null || ikm_fail "iptables is missing: run scripts/install-deps.sh"
etc="$IKM_TMP/etc"
cp -r "$IKEMESH_SOURCE/tests/data/tun-mesh" "$etc"
sed -i "s/^conn private$/conn private\n\tipsec-lifetime=9s\n\trekeymargin=3s\n\tretransmit-interval=200ms/" "$etc/mesh.conf"
ikm_lan
ikm_node n1 10.15.1.1/16
ikm_node n2 10.15.1.2/16
n2=$(ikm_nsname n2)
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
start() {
  ikm_start_daemon "$1" "$(ikm_nsname "$1")" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  declare -g "pid_$1=$IKM_PID" "ctl_$1=$IKM_CTL"
}
cli() { local ctl="ctl_$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }
installed() { cli "$1" status --json | jq .ike.childSas; }
start n1
start n2

# lossy P: drop each UDP datagram into and out of n2 with probability P.
lossy() {
  run n2 iptables -F
  if [[ $1 != 0 ]]; then
    run n2 iptables -A INPUT -p udp -m statistic --mode random --probability "$1" -j DROP
    run n2 iptables -A OUTPUT -p udp -m statistic --mode random --probability "$1" -j DROP
  fi
}
# pings COUNT: pings from n1 to n2 every 100 ms; prints how many were answered.
pings() { run n1 ping -q -c "$1" -i 0.1 -W 1 10.15.1.2 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }

for loss in 0.1 0.3; do
  ikm_log "1. ${loss/0./}0 % loss on n2's link"
  lossy "$loss"
  children_before=$(cli n1 status --json | jq .ike.childSasInstalled)
  up() { run n1 ping -c 1 -W 1 10.15.1.2 >/dev/null 2>&1; }
  ikm_wait_for 60 "a tunnel through ${loss} loss" up
  answered=$(pings 200)
  established=$(cli n1 status --json | jq .ike.ikeSasEstablished)
  retransmissions=$(cli n1 status --json | jq .ike.retransmissions)
  children=$(($(cli n1 status --json | jq .ike.childSasInstalled) - children_before))
  printf '%-40s %s\n' "loss" "$loss" "pings answered" "$answered / 200" "IKE SAs established so far" "$established" \
    "IKE retransmissions so far" "$retransmissions" "CHILD SAs installed in this phase" "$children" >&2
  # A ping and its reply each cross n2's link once: (1 - loss)^2 get through, 81 % and 49 %.
  minimum=$([[ $loss == 0.1 ]] && echo 120 || echo 60)
  ((answered >= minimum)) || ikm_fail "$answered of 200 pings answered at $loss loss (expected at least $minimum)"
  # The last rekey of the run may still be retransmitting when the pings stop (at 30 % loss
  # one in 15 needs 5 tries or more), and then the old SA has expired and nothing is listed
  # for a moment: the next packet through must find a tunnel again, and trafficstatus list it.
  listed() { up && [[ $(cli n1 trafficstatus --json | jq '.tunnels | length') -ge 1 ]]; }
  ikm_wait_for 30 "a tunnel listed by trafficstatus after ${loss} loss" listed
  # 200 pings take 20 s; the CHILD SA lives 9 s: it must have been replaced on the way.
  ((children >= 3)) || ikm_fail "only $children CHILD SAs installed in 20 s at $loss loss: no rekeys"
done
lossy 0
[[ $(cli n1 status --json | jq .ike.ikeSasEstablished) -le 3 ]] ||
  ikm_fail "the IKE SA was made again and again instead of rekeying its CHILD SAs: $(cli n1 status --json | jq .ike)"

ikm_log "2. n2's link down for 5 s, then up"
ip -n "$n2" link set eth0 down
sleep 5
ip -n "$n2" link set eth0 up
ip -n "$n2" route add default dev eth0 2>/dev/null || true
back() { run n1 ping -c 1 -W 1 10.15.1.2 >/dev/null 2>&1; }
ikm_wait_for 40 "pings through after the link came back" back
printf '%-40s %s\n' "pings answered after the link came back" "$(pings 20) / 20" >&2

ikm_log "3. n2's daemon restarted while n1 pings every 50 ms"
links_before=$(ip -n "$n2" -o link show | grep -c ikemesh0)
rules_before=$(ip -n "$n2" rule show | wc -l)
run n1 ping -i 0.05 -c 400 -W 1 10.15.1.2 >"$IKM_TMP/restart-ping.txt" 2>&1 &
pinger=$!
ikm_track "$pinger"
sleep 3
ikm_stop_daemon "$pid_n2"
start n2
wait "$pinger" || true
tail -2 "$IKM_TMP/restart-ping.txt" >&2
answered=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$IKM_TMP/restart-ping.txt")
last_ok=$(grep -o 'icmp_seq=[0-9]*' "$IKM_TMP/restart-ping.txt" | tail -1 | cut -d= -f2)
printf '%-40s %s\n' "pings answered across the restart" "$answered / 400" "last answered icmp_seq" "$last_ok" >&2
((last_ok >= 380)) || ikm_fail "the pings did not resume after the restart (last answer: seq $last_ok)"
[[ $(ip -n "$n2" -o link show | grep -c ikemesh0) == "$links_before" ]] || ikm_fail "TUN devices after the restart: $(ip -n "$n2" -o link show)"
[[ $(ip -n "$n2" rule show | wc -l) == "$rules_before" ]] || ikm_fail "ip rules after the restart: $(ip -n "$n2" rule show)"
ikm_pass
