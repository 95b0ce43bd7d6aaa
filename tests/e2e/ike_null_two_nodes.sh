#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two real ikemeshd in two namespaces on one LAN negotiate an IKE SA and a CHILD SA with NULL
# authentication (RFC 7619) over UDP 500 and, since the TUN-type dataplane needs ESP in UDP,
# move to UDP 4500 for IKE_AUTH (RFC 3948 encapsulation forced as with encapsulation=yes):
# showstates and trafficstatus show them on both
# sides, both installed mirrored SAs, and a capture shows the exchanges on the wire.
# The dataplane is the recording fixture: this test is about IKE, not packets.
source "$IKEMESH_TEST_LIB"
ikm_init ike-null
etc="$IKEMESH_SOURCE/tests/data/null-mesh"
plugins=(--plugindir "$IKEMESH_BUILD/tests/fixtures/plugins/recording" --plugindir "$IKEMESH_BUILD/plugins")

ikm_lan
ikm_node east 192.0.2.1/24
ikm_node west 192.0.2.2/24
east=$(ikm_nsname east)
west=$(ikm_nsname west)

ikm_start_daemon west "$west" -- --config "$etc/mesh.conf" "${plugins[@]}"
west_ctl=$IKM_CTL
ikm_start_daemon east "$east" -- --config "$etc/mesh.conf" "${plugins[@]}"
east_ctl=$IKM_CTL
east_pid=$IKM_PID
east_cli() { "$IKM_BIN/ikemesh" --ctl "$east_ctl" "$@"; }
west_cli() { "$IKM_BIN/ikemesh" --ctl "$west_ctl" "$@"; }

ikm_capture ike "$east" eth0 udp
ikm_log "east negotiates with west"
out=$(east_cli oppo 192.0.2.2)
ikm_expect_contains "$out" 'initiating "private#192.0.2.0/24"[1] ...192.0.2.2' "ikemesh oppo"

established() { "$IKM_BIN/ikemesh" --ctl "$1" showstates | grep -q "established Child SA"; }
ikm_wait_for 20 "east's CHILD SA" established "$east_ctl"
ikm_wait_for 20 "west's CHILD SA" established "$west_ctl"
ikm_capture_wait ike 4
ikm_capture_stop "$IKM_CAPTURE_PID"

ikm_log "showstates in Libreswan's shape on both sides"
states=$(east_cli showstates)
echo "$states" >&2
[[ $states =~ \#[0-9]+:\ \"private#192.0.2.0/24\"\[1\]\ \.\.\.192\.0\.2\.2:4500\ established\ IKE\ SA\;\ REKEY\ in\ [0-9]+s\;\ newest\;\ idle\; ]] ||
  ikm_fail "east showstates: $states"
states=$(west_cli showstates)
echo "$states" >&2
ikm_expect_contains "$states" '"private#192.0.2.0/24"[1] ...192.0.2.1:4500 established IKE SA;' "west showstates"
ikm_expect_contains "$states" "established Child SA" "west showstates"

ikm_log "trafficstatus: one tunnel each, peer ID_NULL"
traffic=$(east_cli trafficstatus --libreswan-prefix)
echo "$traffic" >&2
[[ $traffic =~ ^006\ \#[0-9]+:\ \"private#192.0.2.0/24\"\[1\]\ \.\.\.192\.0\.2\.2,\ type=ESP,\ add_time=[0-9]+,\ inBytes=0,\ outBytes=0,\ maxBytes=2\^63B,\ id=\'ID_NULL\'$ ]] ||
  ikm_fail "east trafficstatus: $traffic"
[[ $(west_cli trafficstatus --json | jq '.tunnels | length') == 1 ]] || ikm_fail "west: not one tunnel"

ikm_log "both sides installed mirrored SAs"
sas() { grep -o 'sa \(in\|out\) spi=0x[0-9a-f]* [0-9.]*->[0-9.]* key=[0-9a-f]*' "$IKM_TMP/$1/daemon.log" | sort; }
east_out=$(sas east | sed -n 's/^sa out //p')
west_in=$(sas west | sed -n 's/^sa in //p')
west_out=$(sas west | sed -n 's/^sa out //p')
east_in=$(sas east | sed -n 's/^sa in //p')
[[ -n $east_out && $east_out == "$west_in" ]] || ikm_fail "east out '$east_out' != west in '$west_in'"
[[ -n $west_out && $west_out == "$east_in" ]] || ikm_fail "west out '$west_out' != east in '$east_in'"
[[ $east_out == *"192.0.2.1->192.0.2.2 key="* ]] || ikm_fail "outbound SA direction: $east_out"
grep -q "sa out spi=.* udp$" "$IKM_TMP/east/daemon.log" || ikm_fail "the SAs are not UDP-encapsulated"

ikm_log "the capture shows IKE_SA_INIT on UDP 500, IKE_AUTH on UDP 4500, and nothing else"
wire=$(tcpdump -n -r "$IKM_TMP/ike.pcap" 2>/dev/null)
echo "$wire" >&2
ikm_expect_contains "$wire" "192.0.2.1.500 > 192.0.2.2.500: isakmp: parent_sa ikev2_init[I]" "capture"
ikm_expect_contains "$wire" "192.0.2.2.500 > 192.0.2.1.500: isakmp: parent_sa ikev2_init[R]" "capture"
ikm_expect_contains "$wire" "192.0.2.1.4500 > 192.0.2.2.4500: NONESP-encap: isakmp: child_sa  ikev2_auth[I]" "capture"
ikm_expect_contains "$wire" "192.0.2.2.4500 > 192.0.2.1.4500: NONESP-encap: isakmp: child_sa  ikev2_auth[R]" "capture"
[[ $(grep -vcE '\.500 > .*\.500: isakmp|\.4500 > .*\.4500: NONESP-encap: isakmp' <<<"$wire") == 0 ]] ||
  ikm_fail "other packets on the wire"

[[ $(east_cli status --json | jq .ike.ikeSasEstablished) == 1 ]] || ikm_fail "east counters"

ikm_log "a malformed IKE message is dropped, logged once with its field, and counted"
# An IKE header claiming 200 bytes in a datagram of 28.
printf '\x11\x22\x33\x44\x55\x66\x77\x88\0\0\0\0\0\0\0\0\x21\x20\x22\x08\0\0\0\0\0\0\0\xc8' |
  ip netns exec "$west" socat -u - UDP4-SENDTO:192.0.2.1:500
ikm_wait_for 5 "the rejection counted" bash -c "(( \$('$IKM_BIN/ikemesh' --ctl '$east_ctl' status --json | jq .ike.rejected) >= 1 ))"
status=$(east_cli status)
echo "$status" >&2
ikm_expect_contains "$status" "1 IKE SA(s), 1 CHILD SA(s)" "ikemesh status"
ikm_expect_contains "$status" "1 rejected (" "ikemesh status"
grep -q "ike: message from 192.0.2.2:[0-9]* rejected: message: .*length" "$IKM_TMP/east/daemon.log" || ikm_fail "no log line of the rejection"
[[ $(east_cli showstates | grep -c "established IKE SA") == 1 ]] || ikm_fail "the bad datagram disturbed the IKE SA"
ikm_stop_daemon "$east_pid"
ikm_pass
