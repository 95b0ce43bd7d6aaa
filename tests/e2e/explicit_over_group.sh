#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An explicit conn and a private group covering the same peer: two nodes of the tun-mesh set-up
# (private = 10.15.0.0/16) that also have an explicit conn "direct" to each other. The explicit
# conn carries their traffic in both directions: as initiator (its trap and the acquire) and as
# responder (chosen above the group), trafficstatus shows "direct" on both sides, and
# `ikemesh policy` says that the explicit conn overrides the group. A third node reaches them
# through the group as before.
source "$IKEMESH_TEST_LIB"
ikm_init explicit-over-group
ikm_lan
for i in 1 2 3; do
  etc="$IKM_TMP/etc$i"
  cp -r "$IKEMESH_SOURCE/tests/data/tun-mesh" "$etc"
  ikm_node "n$i" "10.15.1.$i/16"
done
for pair in "1 2" "2 1"; do
  read -r me other <<<"$pair"
  cat >>"$IKM_TMP/etc$me/mesh.conf" <<CONF

conn direct
	auto=ondemand
	type=tunnel
	authby=null
	leftid=%null
	rightid=%null
	left=10.15.1.$me
	right=10.15.1.$other
CONF
done
for i in 1 2 3; do
  ikm_start_daemon "n$i" "$(ikm_nsname "n$i")" -- --config "$IKM_TMP/etc$i/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  declare "ctl$i=$IKM_CTL"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }

ikm_log "ikemesh policy: the explicit conn overrides the group"
out=$(cli 1 policy 10.15.1.2)
echo "$out" >&2
ikm_expect_contains "$out" "applies: explicit conn 'direct' rightsubnet 10.15.1.2/32" "policy 10.15.1.2"
ikm_expect_contains "$out" "overridden: group 'private' 10.15.0.0/16 -> conn 'private'" "policy 10.15.1.2"
json=$(cli 1 --json policy 10.15.1.2)
[[ $(jq -r .explicit.connection <<<"$json") == direct && $(jq -r .overriddenGroup.group <<<"$json") == private ]] ||
  ikm_fail "policy --json: $json"
out=$(cli 1 policy 10.15.1.3)
ikm_expect_contains "$out" "applies: group 'private' 10.15.0.0/16 -> conn 'private'" "policy 10.15.1.3"

ikm_log "n1 -> n2: the explicit conn, on both sides"
run n1 ping -c 2 -i 0.2 -W 10 10.15.1.2 >&2 || ikm_fail "n1 -> n2"
for i in 1 2; do
  traffic=$(cli $i trafficstatus)
  echo "$traffic" >&2
  [[ $(grep -c "type=ESP" <<<"$traffic") == 1 && $traffic == '#'*': "direct", type=ESP, '* ]] ||
    ikm_fail "n$i's trafficstatus should show one tunnel of conn direct: $traffic"
done

ikm_log "n2 -> n1 after down: again the explicit conn, n2 initiating"
cli 1 down direct >&2 || ikm_fail "down direct"
ikm_wait_for 5 "n2's SA gone" bash -c "[[ -z \$('$IKM_BIN/ikemesh' --ctl '$ctl2' trafficstatus) ]]"
run n2 ping -c 2 -i 0.2 -W 10 10.15.1.1 >&2 || ikm_fail "n2 -> n1"
for i in 1 2; do
  traffic=$(cli $i trafficstatus)
  [[ $(grep -c "type=ESP" <<<"$traffic") == 1 && $traffic == '#'*': "direct", type=ESP, '* ]] ||
    ikm_fail "n$i's trafficstatus after n2 initiated: $traffic"
done
[[ $(cli 2 connstatus direct --json | jq .attempt) -ge 1 ]] || ikm_fail "n2 did not initiate direct"

ikm_log "n3 reaches n1 through the group"
run n3 ping -c 1 -W 10 10.15.1.1 >&2 || ikm_fail "n3 -> n1"
traffic=$(cli 1 trafficstatus)
echo "$traffic" >&2
grep -q '"private#10.15.0.0/16"\[[0-9]*\] ...10.15.1.3, type=ESP' <<<"$traffic" || ikm_fail "n1 <-> n3 not in group private: $traffic"
ikm_pass
