#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 100,000 forged IKE_SA_INIT from 131,070 source addresses (198.18.0.0/15, a generator in a
# namespace of its own with a raw socket) against a responder: above 32 half-open IKE SAs it
# demands cookies (RFC 7296 §2.6) and keeps no state for the forged ones, its memory stays
# bounded, its log does not grow a line per datagram, and a legitimate peer that starts IKE
# during the flood still gets its tunnel (it returns the cookie). Prints the half-open count,
# the cookies demanded, the responder's RSS and the legitimate first ping's time.
source "$IKEMESH_TEST_LIB"
ikm_init ike-flood
etc="$IKM_TMP/etc"
mkdir -p "$etc/policies"
cat >"$etc/mesh.conf" <<'EOF2'
config setup
	dataplane=tun

conn private
	auto=ondemand
	type=transport
	authby=null
	leftid=%null
	rightid=%null
	failureshunt=drop
	negotiationshunt=hold
	left=%defaultroute
	right=%opportunisticgroup
EOF2
printf '192.0.2.0/24\n198.18.0.0/15\n' >"$etc/policies/private"
ikm_lan
ikm_node resp 192.0.2.1/24
ikm_node legit 192.0.2.2/24
ikm_node flood 192.0.2.3/24
resp=$(ikm_nsname resp)
flood=$(ikm_nsname flood)
# Answers to the forged sources go back to the generator's node, which drops them.
ip -n "$resp" route add 198.18.0.0/15 via 192.0.2.3
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
start() {
  ikm_start_daemon "$1" "$(ikm_nsname "$1")" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  declare -g "pid_$1=$IKM_PID" "ctl_$1=$IKM_CTL"
}
cli() { local ctl="ctl_$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

ikm_log "a template: one real IKE_SA_INIT from the generator's node, captured"
start resp
start flood
ikm_capture template "$flood" eth0 udp dst port 500
cli flood oppo 192.0.2.1 >&2
ikm_capture_wait template 1
ikm_capture_stop "$IKM_CAPTURE_PID"
ikm_stop_daemon "$pid_flood"
settled() { [[ $(cli resp status --json | jq .ike.halfOpen) == 0 ]]; }
ikm_wait_for 20 "the responder to finish with the template's IKE SA" settled

start legit
rss_before=$(rss "$pid_resp")
ikm_log "the flood: 100,000 forged IKE_SA_INIT"
run flood python3 "$IKEMESH_SOURCE/tests/lib/ike-flood.py" "$IKM_TMP/template.pcap" 192.0.2.1 100000 \
  >"$IKM_TMP/flood.txt" 2>&1 &
flood_pid=$!
ikm_track "$flood_pid"
cookies_begun() { (($(cli resp status --json | jq .ike.cookiesDemanded) > 1000)); }
ikm_wait_for 60 "the responder to demand cookies" cookies_begun

ikm_log "during the flood, the legitimate peer's first ping"
ping_out=$(run legit ping -c 1 -W 20 192.0.2.1) || { echo "$ping_out" >&2; ikm_fail "the legitimate peer got no tunnel during the flood"; }
ping_ms=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$ping_out")
half_open_during=$(cli resp status --json | jq .ike.halfOpen)
kill -0 "$flood_pid" 2>/dev/null && flood_running=yes || flood_running=no
wait "$flood_pid" || ikm_fail "the generator failed: $(cat "$IKM_TMP/flood.txt")"
cat "$IKM_TMP/flood.txt" >&2

status=$(cli resp status --json)
cookies=$(jq .ike.cookiesDemanded <<<"$status")
half_open=$(jq .ike.halfOpen <<<"$status")
honoured=$(cli legit status --json | jq .ike.cookiesHonoured)
rss_after=$(rss "$pid_resp")
log_lines=$(grep -c "demanding a cookie" "$IKM_TMP/resp/daemon.log" || true)
printf '%-44s %s\n' "forged IKE_SA_INIT sent" "$(grep -o 'sent [0-9]*' "$IKM_TMP/flood.txt" | cut -d' ' -f2)" \
  "cookies demanded by the responder" "$cookies" \
  "half-open IKE SAs during / after the flood" "$half_open_during / $half_open" \
  "legitimate first ping during the flood (ms)" "$ping_ms (flood still running: $flood_running)" \
  "cookies the legitimate peer returned" "$honoured" \
  "responder RSS before / after (KiB)" "$rss_before / $rss_after" \
  "responder log lines about cookies" "$log_lines" >&2

((cookies >= 10000)) || ikm_fail "only $cookies cookies demanded for 100,000 forged requests"
((honoured >= 1)) || ikm_fail "the legitimate peer was not asked for a cookie: the flood did not reach the threshold"
((half_open_during <= 40)) || ikm_fail "$half_open_during half-open IKE SAs: the forged requests kept state"
((rss_after - rss_before < 65536)) || ikm_fail "RSS grew by $((rss_after - rss_before)) KiB under the flood"
((log_lines <= 40)) || ikm_fail "$log_lines log lines about cookies: the log grows with the flood"
[[ $(cli resp trafficstatus --json | jq '[.tunnels[] | select(.line | contains("...192.0.2.2,"))] | length') == 1 ]] ||
  ikm_fail "the responder has no tunnel with the legitimate peer"
kill -0 "$pid_resp" || ikm_fail "the responder died"
ikm_pass
