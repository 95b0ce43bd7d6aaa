#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# auto=ondemand on an explicit conn: the site-to-site set-up of site_to_site.sh with west's conn
# routed instead of started. Nothing is negotiated until the first packet from west's subnet
# to east's, which brings the tunnel up and gets its reply. After `down` the trap stays and the
# next packet negotiates again; `unroute` removes the trap (packets no longer negotiate) and
# `ondemand` puts it back.
source "$IKEMESH_TEST_LIB"
ikm_init explicit-ondemand
etc="$IKM_TMP/etc"
mkdir -p "$etc"
cp "$IKEMESH_SOURCE"/tests/data/site-to-site/{west,east}.conf "$etc/"
sed -i 's/^\tauto=start$/\tauto=ondemand/' "$etc/west.conf"
grep -q 'auto=ondemand' "$etc/west.conf" || ikm_fail "west.conf: auto=start not replaced"
source "$IKEMESH_SOURCE/tests/lib/site-to-site.sh"
ikm_two_sites "$etc" "$IKEMESH_BUILD/plugins"
status() { cli "$1" connstatus s2s --json | jq -r "$2"; }

ikm_log "routed, and nothing negotiated before the first packet"
sleep 1
[[ $(status west .routed) == true && $(status west .phase) == down ]] || ikm_fail "west: $(cli west connstatus s2s)"
[[ $(cli east status --json | jq .ike.datagramsReceived) == 0 ]] || ikm_fail "east received IKE before any packet"

ikm_log "the first packet brings the tunnel up and gets its reply"
run hostw ping -c 1 -W 10 203.0.113.10 >&2 || ikm_fail "no reply to the first ping"
[[ $(status west .phase) == established && $(status east .phase) == established ]] ||
  ikm_fail "after the first ping: $(cli west connstatus s2s); $(cli east connstatus s2s)"
[[ $(cli west status --json | jq .ike.acquires) == 1 ]] || ikm_fail "acquires: $(cli west status --json | jq .ike)"
run hoste ping -c 2 -i 0.2 -W 5 198.51.100.10 >&2 || ikm_fail "hoste -> hostw"

ikm_log "after down the trap stays: the next packet negotiates again"
cli west down s2s >&2 || ikm_fail "down"
[[ $(status west .routed) == true ]] || ikm_fail "down removed the trap"
run hostw ping -c 1 -W 10 203.0.113.10 >&2 || ikm_fail "no reply after down"
[[ $(status west .phase) == established ]] || ikm_fail "not re-established: $(cli west connstatus s2s)"

ikm_log "unroute removes the trap: packets no longer negotiate"
cli west down s2s >&2 || ikm_fail "second down"
out=$(cli west unroute s2s) || ikm_fail "unroute: $out"
[[ $out == 'unroute: "s2s" trap removed' ]] || ikm_fail "unroute's line: $out"
[[ $(status west .routed) == false ]] || ikm_fail "still routed: $(cli west connstatus s2s)"
acquires=$(cli west status --json | jq .ike.acquires)
run hostw ping -c 1 -W 2 203.0.113.10 >/dev/null 2>&1 && ikm_fail "hostw reached hoste without a trap or SA"
[[ $(cli west status --json | jq .ike.acquires) == "$acquires" && $(status west .ikeSas) == 0 ]] ||
  ikm_fail "a packet negotiated without the trap: $(cli west connstatus s2s)"
out=$(cli west unroute s2s 2>&1) && ikm_fail "unroute of an unrouted conn succeeded: $out"
ikm_expect_contains "$out" "has no trap installed" "second unroute"

ikm_log "ondemand puts the trap back"
out=$(cli west ondemand s2s) || ikm_fail "ondemand: $out"
[[ $out == 'ondemand: "s2s" trap installed for 198.51.100.0/24 -> 203.0.113.0/24; the first packet brings it up' ]] ||
  ikm_fail "ondemand's line: $out"
run hostw ping -c 1 -W 10 203.0.113.10 >&2 || ikm_fail "no reply after ondemand"
[[ $(status west .phase) == established ]] || ikm_fail "not established after ondemand: $(cli west connstatus s2s)"
ikm_pass
