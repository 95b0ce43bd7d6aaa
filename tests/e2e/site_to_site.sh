#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Site-to-site: two gateways on kernel-tun, each with a subnet behind it (a host namespace
# routed through the gateway). West has auto=start, east auto=add: the tunnel comes up by
# itself, the hosts ping each other through it, and the LAN between the gateways carries IKE
# and ESP in UDP only. `ikemesh down s2s` on west deletes the SAs on both sides (DELETE);
# `ikemesh up s2s` brings the tunnel back; `down` on east is answered by west, which keeps
# its auto=start conn up. --json output is read with jq.
source "$IKEMESH_TEST_LIB"
ikm_init site-to-site
etc="$IKM_TMP/etc"
mkdir -p "$etc"
cp "$IKEMESH_SOURCE"/tests/data/site-to-site/{west,east}.conf "$etc/"
source "$IKEMESH_SOURCE/tests/lib/site-to-site.sh"
ikm_two_sites "$etc" "$IKEMESH_BUILD/plugins" capture

ikm_log "auto=start: west brings the tunnel up by itself"
established() { [[ $(cli "$1" connstatus s2s --json | jq -r .phase) == established ]]; }
ikm_wait_for 20 "west's s2s established" established west
ikm_wait_for 5 "east's s2s established" established east
cli west connstatus >&2
selectors=$(cli west connstatus s2s --json | jq -r .selectors)
[[ $selectors == "198.51.100.0/24 === 203.0.113.0/24" ]] || ikm_fail "west's CHILD SA selectors: $selectors"
selectors=$(cli east connstatus s2s --json | jq -r .selectors)
[[ $selectors == "203.0.113.0/24 === 198.51.100.0/24" ]] || ikm_fail "east's CHILD SA selectors: $selectors"

ikm_log "the hosts behind the gateways reach each other through the tunnel"
run hostw ping -c 3 -i 0.2 -W 5 203.0.113.10 >&2 || ikm_fail "hostw -> hoste"
run hoste ping -c 3 -i 0.2 -W 5 198.51.100.10 >&2 || ikm_fail "hoste -> hostw"
for side in west east; do
  traffic=$(cli $side trafficstatus)
  echo "$traffic" >&2
  [[ $traffic =~ \"s2s\",\ type=ESP,\ add_time=[0-9]+,\ inBytes=([0-9]+),\ outBytes=([0-9]+) ]] ||
    ikm_fail "$side's trafficstatus: $traffic"
  ((BASH_REMATCH[1] >= 6 * 84 && BASH_REMATCH[2] >= 6 * 84)) || ikm_fail "$side's byte counters: $traffic"
done

ikm_log "ikemesh down s2s on west tears down both sides"
out=$(cli west down s2s) || ikm_fail "down s2s: $out"
echo "$out" >&2
[[ $out =~ ^down:\ \"s2s\"\ is\ down,\ IKE\ SA\ #[0-9]+\ deleted\ on\ both\ sides$ ]] || ikm_fail "down's line: $out"
no_sas() { [[ $(cli "$1" connstatus s2s --json | jq .ikeSas) == 0 && -z $(cli "$1" trafficstatus) ]]; }
ikm_wait_for 5 "east's SAs gone after west's DELETE" no_sas east
no_sas west || ikm_fail "west still has SAs after down"
# Not kept up any more: nothing comes back by itself.
sleep 2
no_sas west && no_sas east || ikm_fail "the tunnel came back after down"
run hostw ping -c 1 -W 1 203.0.113.10 >/dev/null 2>&1 && ikm_fail "hostw still reaches hoste with the tunnel down"

ikm_log "ikemesh up s2s brings it back and says so in one line; --json is read with jq"
started=$(date +%s%N)
json=$(cli west --json up s2s) || ikm_fail "up s2s --json: $json"
ikm_log "ikemesh up s2s returned established after $((($(date +%s%N) - started) / 1000000)) ms"
echo "$json" >&2
[[ $(jq -r .ok <<<"$json") == true && $(jq -r .conn.phase <<<"$json") == established ]] || ikm_fail "up --json: $json"
[[ $(jq -r .line <<<"$json") =~ ^up:\ \"s2s\"\ established,\ IKE\ SA\ \#[0-9]+,\ CHILD\ SA\ \#[0-9]+\ \(198\.51\.100\.0/24\ ===\ 203\.0\.113\.0/24\)$ ]] ||
  ikm_fail "up's line: $(jq -r .line <<<"$json")"
run hostw ping -c 2 -i 0.2 -W 5 203.0.113.10 >&2 || ikm_fail "hostw -> hoste after up"
out=$(cli west up s2s) || ikm_fail "a second up: $out"
[[ $out == "up: \"s2s\" established, "* ]] || ikm_fail "up when already up: $out"

ikm_log "down on east: west keeps its conn up (it was brought up), and re-initiates"
before=$(cli west connstatus s2s --json | jq .ikeSa)
cli east down s2s >&2 || ikm_fail "east: down s2s"
reestablished() { established west && [[ $(cli west connstatus s2s --json | jq .ikeSa) != "$before" ]]; }
ikm_wait_for 15 "west re-initiating after east's DELETE" reestablished
ikm_wait_for 5 "east's s2s established again" established east
run hoste ping -c 2 -i 0.2 -W 5 198.51.100.10 >&2 || ikm_fail "hoste -> hostw after west re-initiated"

ikm_log "errors: an unknown conn, and --async"
out=$(cli west up nosuch 2>&1) && ikm_fail "up of an unknown conn succeeded: $out"
ikm_expect_contains "$out" "no conn 'nosuch'" "up nosuch"
out=$(cli west --async --json down s2s) || ikm_fail "down --async: $out"
[[ $(jq -r .line <<<"$out") == "down: \"s2s\" DELETE sent for IKE SA #"* ]] || ikm_fail "down --async: $out"
ikm_wait_for 5 "west's SAs gone after down --async" no_sas west

ikm_capture_stop "$IKM_CAPTURE_PID"
wire=$(tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null)
other=$(grep -v -E '192\.0\.2\.[12]\.(500|4500) > 192\.0\.2\.[12]\.(500|4500): ' <<<"$wire" || true)
[[ -z $other ]] || ikm_fail "the LAN carried more than IKE and ESP in UDP between the gateways: $(head -5 <<<"$other")"
grep -q 'UDP-encap' <<<"$wire" || ikm_fail "no ESP in UDP on the LAN"
ikm_log "$(grep -c . <<<"$wire") IPv4 packets on the LAN, all IKE or ESP in UDP"
ikm_pass
