#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Administering explicit conns without a full reload, on the site-to-site set-up of
# site_to_site.sh (both conns auto=add, west with keyingtries=1):
# - rightid= that the peer's identity does not match: AUTHENTICATION_FAILED, a log line naming
#   the conn and both IDs, `ikemesh up` failing with the reason (exit status 1), and west giving
#   up after keyingtries=;
# - `ikemesh add` loads a conn as the file on disk has it now (the fixed rightid), `delete`
#   unloads it (the peer is refused), `add` brings it back;
# - a reload that renames the conn takes the old one down and starts the new one;
# - a right= hostname that does not resolve stops the daemon with the conn's file:line.
source "$IKEMESH_TEST_LIB"
ikm_init explicit-admin
etc="$IKM_TMP/etc"
mkdir -p "$etc"
cp "$IKEMESH_SOURCE"/tests/data/site-to-site/{west,east}.conf "$etc/"
sed -i 's/^\tauto=start$/\tauto=add\n\tkeyingtries=1/' "$etc/west.conf"
source "$IKEMESH_SOURCE/tests/lib/site-to-site.sh"
ikm_two_sites "$etc" "$IKEMESH_BUILD/plugins"
status() { cli "$1" connstatus "${3:-s2s}" --json | jq -r "$2"; }

ikm_log "auto=add on both sides: nothing until ikemesh up"
sleep 1
[[ $(status west .phase) == down && $(status west .ikeSas) == 0 ]] || ikm_fail "west: $(cli west connstatus)"
cli west up s2s >&2 || ikm_fail "up s2s"

ikm_log "east's rightid no longer matches west's ID: add reloads the conn from disk"
sed -i 's/^\trightid=%null$/\trightid=@west.example/' "$etc/east.conf"
out=$(cli east add s2s) || ikm_fail "east: add s2s: $out"
[[ $out == 'add: "s2s" loaded from '*'east.conf:5 (auto=add, right=192.0.2.1)' ]] || ikm_fail "add's line: $out"
# The changed conn lost its SAs (DELETE to west); west keeps it up and is refused.
out=$(cli west up s2s 2>&1) && ikm_fail "up succeeded against a rightid that does not match: $out"
echo "$out" >&2
[[ $out == 'up: "s2s" failed: '*AUTHENTICATION_FAILED* ]] || ikm_fail "up's failure line: $out"
grep -q "IDi: connection 's2s' expects rightid @west.example, the peer sent ID_NULL" "$IKM_TMP/east/daemon.log" ||
  ikm_fail "east's log does not name the conn and both IDs: $(grep -i auth "$IKM_TMP/east/daemon.log" | tail -3)"
gave_up() { [[ $(status west .keepUp) == false && $(status west .reason) == *"giving up after keyingtries=1" ]]; }
ikm_wait_for 10 "west giving up after keyingtries=1" gave_up
cli west connstatus >&2

ikm_log "the fix on disk, add again: up works"
sed -i 's/^\trightid=@west.example$/\trightid=%null/' "$etc/east.conf"
cli east add s2s >&2 || ikm_fail "east: second add"
out=$(cli west up s2s) || ikm_fail "up after the fix: $out"
run hostw ping -c 2 -i 0.2 -W 5 203.0.113.10 >&2 || ikm_fail "hostw -> hoste after the fix"

ikm_log "delete unloads the conn: its SAs go, and the peer is refused"
out=$(cli east delete s2s) || ikm_fail "east: delete s2s: $out"
[[ $out == 'delete: "s2s" deleted, IKE SA #'*'; ikemesh add s2s loads it again' ]] || ikm_fail "delete's line: $out"
[[ $(status east .loaded) == false ]] || ikm_fail "still loaded after delete"
out=$(cli west up s2s 2>&1) && ikm_fail "up succeeded against a deleted conn: $out"
ikm_expect_contains "$out" 'up: "s2s" failed: ' "up against a deleted conn"
grep -q "IKE_SA_INIT from 192.0.2.1:500 refused" "$IKM_TMP/east/daemon.log" || ikm_fail "east did not refuse west"
out=$(cli east delete s2s 2>&1) && ikm_fail "a second delete succeeded: $out"
ikm_expect_contains "$out" "conn 's2s' is not loaded" "second delete"
out=$(cli east delete nosuch 2>&1) && ikm_fail "delete of an unknown conn succeeded: $out"
ikm_expect_contains "$out" "no conn 'nosuch'" "delete nosuch"
cli east add s2s >&2 || ikm_fail "east: add after delete"
cli west up s2s >&2 || ikm_fail "up after add"

ikm_log "reload: s2s renamed to s2s-new (auto=start) on west"
sed -i 's/^conn s2s$/conn s2s-new/; s/^\tauto=add$/\tauto=start/' "$etc/west.conf"
cli west reload >&2 || ikm_fail "reload"
new_up() { [[ $(status west .phase s2s-new) == established ]]; }
ikm_wait_for 10 "s2s-new established after the reload" new_up
out=$(cli west connstatus s2s 2>&1) && ikm_fail "s2s still known after the reload: $out"
traffic=$(cli west trafficstatus)
[[ $(grep -c "type=ESP" <<<"$traffic") == 1 && $traffic == *'"s2s-new", type=ESP'* ]] || ikm_fail "after the reload: $traffic"
run hoste ping -c 2 -i 0.2 -W 5 198.51.100.10 >&2 || ikm_fail "hoste -> hostw after the reload"

ikm_log "a right= hostname that does not resolve: the daemon does not start, naming the conn's line"
ikm_ns_add lonely
sed 's/^\tright=192.0.2.2$/\tright=gateway.invalid/' "$etc/west.conf" >"$etc/unresolvable.conf"
ikm_spawn_daemon lonely "$(ikm_nsname lonely)" -- --config "$etc/unresolvable.conf" --plugindir "$IKEMESH_BUILD/plugins"
lonely_pid=$IKM_PID
status=0
wait "$lonely_pid" || status=$?
((status != 0)) || ikm_fail "ikemeshd started with an unresolvable right="
grep -q "unresolvable.conf:6: conn 's2s-new': right=gateway.invalid: cannot resolve 'gateway.invalid'" \
  "$IKM_TMP/lonely/daemon.log" || ikm_fail "the error: $(tail -3 "$IKM_TMP/lonely/daemon.log")"
ikm_pass
