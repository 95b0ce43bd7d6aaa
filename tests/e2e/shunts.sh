#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Negotiation and failure shunts (DESIGN.md §2 steps 3 and 6): towards peers that never
# answer IKE, `private` holds a drop shunt while negotiating and after the failure, and
# `private-or-clear` a pass shunt; the failure shunt expires after shuntlifetime and the trap
# applies again. The recording dataplane shows what was installed.
source "$IKEMESH_TEST_LIB"
ikm_init shunts
etc="$IKEMESH_SOURCE/tests/data/shunts"
ikm_lan
ikm_node east 192.0.2.1/24
east=$(ikm_nsname east)
ikm_start_daemon east "$east" -- --config "$etc/mesh.conf" \
  --plugindir "$IKEMESH_BUILD/tests/fixtures/plugins/recording" --plugindir "$IKEMESH_BUILD/plugins"
cli() { "$IKM_BIN/ikemesh" --ctl "$IKM_CTL" "$@"; }

ikm_log "negotiation shunts while nobody answers"
cli oppo 192.0.2.3 >/dev/null
cli oppo 192.0.2.130 >/dev/null
shunts=$(cli shuntstatus)
echo "$shunts" >&2
ikm_expect_contains "$shunts" "192.0.2.1/32 -0-> 192.0.2.3/32 => %drop    oe-negotiating" "private"
ikm_expect_contains "$shunts" "192.0.2.1/32 -0-> 192.0.2.130/32 => %pass    oe-negotiating" "private-or-clear"

ikm_log "failure shunts after retransmit-timeout"
failing() { "$IKM_BIN/ikemesh" --ctl "$IKM_CTL" shuntstatus | grep -c oe-failing | grep -q 2; }
ikm_wait_for 10 "two failure shunts" failing
shunts=$(cli shuntstatus)
echo "$shunts" >&2
ikm_expect_contains "$shunts" "192.0.2.1/32 -0-> 192.0.2.3/32 => %drop    oe-failing" "private"
ikm_expect_contains "$shunts" "192.0.2.1/32 -0-> 192.0.2.130/32 => %pass    oe-failing" "private-or-clear"
log="$IKM_TMP/east/daemon.log"
grep -q "conn 'private': negotiation with 192.0.2.3:500 failed" "$log" || ikm_fail "no failure log line"
grep -q "recording-dataplane: shunt 192.0.2.3/32 drop" "$log" || ikm_fail "drop shunt not installed"
grep -q "recording-dataplane: shunt 192.0.2.130/32 pass" "$log" || ikm_fail "pass shunt not installed"
[[ $(cli showstates) == "" ]] || ikm_fail "a failed negotiation left state: $(cli showstates)"

ikm_log "the failure shunts expire after shuntlifetime"
none() { [[ -z $("$IKM_BIN/ikemesh" --ctl "$IKM_CTL" shuntstatus) ]]; }
ikm_wait_for 10 "the shunts to expire" none
grep -q "failure shunt for 192.0.2.3 (private) expired; the trap applies again" "$log" || ikm_fail "no expiry line"

ikm_stop_daemon "$IKM_PID"
ikm_pass
