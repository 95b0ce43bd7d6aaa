#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel-tun between real daemons (issue 5's list): 100 MB over TCP arrive intact and
# trafficstatus counts them; a captured ESP packet replayed into the link, and one with a
# flipped bit, are dropped and counted; pings every 10 ms go on without loss while the CHILD SA
# is rekeyed again and again; `ikemesh stop` and `kill -9` plus a restart leave nothing of ours.
source "$IKEMESH_TEST_LIB"
ikm_init tun-daemon
ikm_lan
base="$IKEMESH_SOURCE/tests/data/tun-mesh"
# Pair A (n1, n2): default lifetimes. Pair B (n3, n4): the CHILD SA rekeys every ~2 s.
cp -r "$base" "$IKM_TMP/etc-a"
cp -r "$base" "$IKM_TMP/etc-b"
sed -i "s/^conn private$/conn private\n\tipsec-lifetime=3s\n\trekeymargin=1s/" "$IKM_TMP/etc-b/mesh.conf"
for i in 1 2 3 4; do
  ikm_node "n$i" "10.15.1.$i/16"
  etc=$IKM_TMP/etc-a
  ((i > 2)) && etc=$IKM_TMP/etc-b
  ikm_start_daemon "n$i" "$(ikm_nsname "n$i")" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  declare "ctl$i=$IKM_CTL" "pid$i=$IKM_PID"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }
tunnel() { cli "$1" trafficstatus --json | jq -c --arg p "...$2," '.tunnels[] | select(.instance | endswith($p[0:-1]))'; }

ikm_log "100 MB over TCP through the tunnel arrive intact"
run n1 ping -c 1 -W 10 10.15.1.2 >/dev/null || ikm_fail "no tunnel n1 -> n2"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$IKM_TMP/payload"
run n2 socat -u TCP4-LISTEN:5001,reuseaddr "OPEN:$IKM_TMP/received,creat,trunc" &
receiver=$!
ikm_track $receiver
ikm_wait_for 10 "the receiver to listen" run n2 bash -c "ss -ltn | grep -q ':5001 '"
before=$(tunnel 1 10.15.1.2 | jq .outBytes)
received_before=$(tunnel 2 10.15.1.1 | jq .inBytes)
retrans_before=$(run n1 nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}')
start=$(date +%s%N)
run n1 socat -u "FILE:$IKM_TMP/payload" TCP4:10.15.1.2:5001
wait $receiver
millis=$((($(date +%s%N) - start) / 1000000))
[[ $(sha256sum <"$IKM_TMP/payload") == "$(sha256sum <"$IKM_TMP/received")" ]] || ikm_fail "the received file differs"
after=$(tunnel 1 10.15.1.2 | jq .outBytes)
sent=$((after - before))
received=$(($(tunnel 2 10.15.1.1 | jq .inBytes) - received_before))
retrans=$(($(run n1 nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}') - retrans_before))
# Transport mode counts the IP payload: the data plus TCP headers (under 5 %), plus what TCP
# sent again (at most one TUN MTU a segment).
((sent >= 104857600 && sent <= 104857600 * 105 / 100 + retrans * 1400)) ||
  ikm_fail "trafficstatus counted $sent bytes out for 100 MiB with $retrans segments retransmitted"
((received <= sent && received >= 104857600)) || ikm_fail "n2 counted $received bytes in, n1 $sent out"
ikm_log "100 MiB in ${millis} ms ($((838860800 / millis / 1000)) Mbit/s); n1 counted $sent bytes out, n2 $received in; $retrans segments retransmitted"

ikm_log "a captured ESP packet replayed into the link is dropped and counted"
n2ns=$(ikm_nsname n2)
# One ESP packet n2 sends to n1 (UDP 4500 without the zero non-ESP marker), taken from n2's link.
ip netns exec "$n2ns" tcpdump -i eth0 -n -c 1 -w "$IKM_TMP/esp.pcap" \
  'src host 10.15.1.2 and udp dst port 4500 and udp[8:4] != 0' 2>"$IKM_TMP/catcher.log" &
catcher=$!
ikm_track $catcher
ikm_wait_for 10 "tcpdump to listen" grep -q "listening on" "$IKM_TMP/catcher.log"
run n2 ping -c 1 -W 5 10.15.1.1 >/dev/null
wait $catcher || true
replays=$(tunnel 1 10.15.1.2 | jq .replayErrors)
replay="$IKEMESH_SOURCE/tests/lib/replay-ip.py"
# Sent from n2 again, marked so that n2's TUN routing lets it out on the link.
run n2 python3 "$replay" "$IKM_TMP/esp.pcap" --mark 0x4500 >&2
ikm_wait_for 5 "the replay counted" bash -c "(( \$('$IKM_BIN/ikemesh' --ctl '$ctl1' trafficstatus --json | jq '[.tunnels[].replayErrors] | add') > $replays ))"

ikm_log "the same packet with a flipped bit (and a sequence number ahead of the window) fails authentication"
integrity=$(tunnel 1 10.15.1.2 | jq .integrityErrors)
# In the IP packet: IP 20, UDP 8, SPI 4, so the sequence number's first octet is at 32.
run n2 python3 "$replay" "$IKM_TMP/esp.pcap" --mark 0x4500 --set 32=0x7f >&2
ikm_wait_for 5 "the forgery counted" bash -c "(( \$('$IKM_BIN/ikemesh' --ctl '$ctl1' trafficstatus --json | jq '[.tunnels[].integrityErrors] | add') > $integrity ))"
run n1 ping -c 2 -i 0.2 -W 5 10.15.1.2 >/dev/null || ikm_fail "the tunnel broke after the forged packets"

ikm_log "1000 pings at 10 ms intervals while the CHILD SA is rekeyed: no loss"
out=$(run n3 ping -q -i 0.01 -c 1000 -W 2 10.15.1.4)
echo "$out" >&2
rekeys=$(grep -c "CHILD SA up" "$IKM_TMP/n3/daemon.log")
ikm_log "$rekeys CHILD SAs installed on n3 during the run"
grep -q " 0% packet loss" <<<"$out" || ikm_fail "packets lost during rekeys"
((rekeys >= 6)) || ikm_fail "only $((rekeys - 1)) rekeys happened"

ours() {  # NODE: what of kernel-tun's is left in the node's namespace
  local ns
  ns=$(ikm_nsname "$1")
  { ip -n "$ns" rule | grep -E '^4500:|lookup 4500|fwmark 0x4500' || true
    ip -n "$ns" route show table 4500 2>/dev/null || true
    ip -n "$ns" link show ikemesh0 2>/dev/null || true; }
}
ikm_log "ikemesh stop leaves no route, rule or device behind"
[[ -n $(ours n1) ]] || ikm_fail "kernel-tun installed nothing on n1?"
cli 1 stop >/dev/null
wait "$pid1" || ikm_fail "n1 did not exit cleanly"
left=$(ours n1)
[[ -z $left ]] || ikm_fail "left behind on n1 after stop: $left"

ikm_log "kill -9, then a restart cleans up what the dead daemon left"
kill -9 "$pid2"
wait "$pid2" 2>/dev/null || true
[[ -n $(ours n2) ]] || ikm_fail "kill -9 left nothing to clean (the test would prove nothing)"
ikm_start_daemon n2b "$(ikm_nsname n2)" -- --config "$IKM_TMP/etc-a/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
[[ $(ip -n "$(ikm_nsname n2)" rule | grep -c 'lookup 4500') -le 2 ]] || ikm_fail "duplicate rules after the restart"
kill -TERM "$IKM_PID"
wait "$IKM_PID" || ikm_fail "the restarted n2 did not exit cleanly"
left=$(ours n2)
[[ -z $left ]] || ikm_fail "left behind on n2 after kill -9, restart and stop: $left"
ikm_pass
