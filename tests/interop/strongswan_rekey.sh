#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CHILD_SA and IKE_SA rekeying (RFC 7296 §1.3.2, §1.3.3, §2.18) between ikemesh and strongSwan
# charon, started by each side in turn, with pings flowing through the tunnel the whole time
# and none lost:
# 1. ikemesh initiates the tunnel, short lifetimes on ikemesh's side: ikemesh rekeys the CHILD
#    SA and the IKE SA (strongSwan answers the CREATE_CHILD_SA requests);
# 2. strongSwan initiates, short lifetimes on strongSwan's side: strongSwan rekeys both.
# After each rekey both sides hold one IKE SA and one CHILD SA, with new SPIs.
# ikemesh rekeys CHILD SAs with PFS (a KE payload in the IKE SA's group, RFC 7296 §1.3.1), as
# Libreswan does by default; strongSwan accepts that only when its esp_proposals name a group
# (aes128gcm16-ecp256), and answers NO_PROPOSAL_CHOSEN otherwise.
source "$IKEMESH_TEST_LIB"
ikm_init interop-strongswan-rekey
source "$IKEMESH_SOURCE/tests/interop/strongswan-common.sh"

# swan_spis: the IKE SPIs and CHILD SPIs strongSwan lists (one line).
swan_spis() { swan_sas | grep -oE '[0-9a-f]{16}_[ir]\*?|(in|out) +[0-9a-f]{8}' | tr -s ' \n' ' '; }
# flowing_pings SECONDS: pings from ikemesh's side through the tunnel, 50 per second (a
# switch to a new SA that the peer has not installed yet loses one), in the background; wait
# for $pinger and read $IKM_TMP/pings.log.
flowing_pings() {
  run_ike ping -c "$(($1 * 50))" -i 0.02 -W 2 "$swan_addr" >"$IKM_TMP/pings.log" 2>&1 &
  pinger=$!
  ikm_track "$pinger"
}
expect_no_loss() {
  wait "$pinger" || true
  local summary
  summary=$(grep 'packets transmitted' "$IKM_TMP/pings.log")
  ikm_log "$1: $summary"
  [[ $summary == *" 0% packet loss"* ]] || ikm_fail "$1: pings were lost during the rekeys: $summary"
}
# expect_one_of_each WHAT: after the rekeys, one IKE SA and one CHILD SA on each side.
expect_one_of_each() {
  local sas
  sas=$(swan_sas)
  echo "$sas" >&2
  (($(grep -c 'ESTABLISHED' <<<"$sas") == 1)) || ikm_fail "$1: strongSwan has not exactly one IKE SA"
  (($(grep -c 'INSTALLED' <<<"$sas") == 1)) || ikm_fail "$1: strongSwan has not exactly one CHILD SA"
  [[ $(ike_child_count) == 1 ]] || ikm_fail "$1: ikemesh has $(ike_child_count) tunnels, expected 1"
  local states
  states=$(ike_cli showstates)
  echo "$states" >&2
  (($(grep -c 'IKE SA' <<<"$states") == 1)) || ikm_fail "$1: ikemesh has not exactly one IKE SA: $states"
}

# expect_rekeys WHO VERB: with pings flowing, WHO (the side with the short lifetimes) rekeys
# the CHILD SA and then the IKE SA; strongSwan's log says VERB (parsed: it answered; generating:
# it asked) for both CREATE_CHILD_SA requests. No ping is lost, the SPIs change, and each side
# ends with one IKE SA and one CHILD SA.
expect_rekeys() {
  local who=$1 verb=$2 before after log="$swan_dir/charon.log"
  before=$(swan_spis)
  flowing_pings 28
  ikm_wait_for 30 "$who's CHILD rekey" grep -q "$verb CREATE_CHILD_SA request .*N(REKEY_SA)" "$log"
  ikm_wait_for 30 "$who's IKE rekey" grep -qE "$verb CREATE_CHILD_SA request [0-9]+ \[ SA No KE \]" "$log"
  expect_no_loss "$who's rekeys"
  grep -E 'CREATE_CHILD_SA (request|response)' "$log" >&2
  if [[ $verb == parsed ]]; then
    grep -q 'generating CREATE_CHILD_SA request' "$log" && ikm_fail "strongSwan started a rekey too"
  fi
  grep -qE 'parsed CREATE_CHILD_SA response [0-9]+ \[ N\(' "$log" && ikm_fail "ikemesh answered a rekey with an error"
  after=$(swan_spis)
  ikm_log "SPIs before: $before; after: $after"
  [[ $before != "$after" ]] || ikm_fail "the SPIs did not change"
  expect_one_of_each "after $who's rekeys"
}

ikm_log "1. ikemesh rekeys the CHILD SA (after ~10 s) and the IKE SA (after ~20 s)"
interop_start_ikemesh ikelifetime=30s salifetime=20s rekeymargin=10s rekeyfuzz=0%
interop_start_strongswan aes128gcm16-prfsha256-ecp256 aes128gcm16-ecp256 "rekey_time = 0" "rekey_time = 0"
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "the first ping"
expect_rekeys ikemesh parsed
run_ike ping -c 2 -i 0.2 -W 5 "$swan_addr" >/dev/null || ikm_fail "ping after ikemesh's rekeys"

ikm_log "2. strongSwan rekeys the CHILD SA (after ~10 s) and the IKE SA (after ~20 s)"
interop_stop_both
interop_start_ikemesh
interop_start_strongswan aes128gcm16-prfsha256-ecp256 aes128gcm16-ecp256 "rekey_time = 20s
    rand_time = 0s" "rekey_time = 10s
        life_time = 60s
        rand_time = 0s"
swan_ctl --initiate --child ike --timeout 20 >"$swan_dir/initiate.log" 2>&1 ||
  ikm_fail "swanctl --initiate: $(tail -3 "$swan_dir/initiate.log")"
expect_rekeys strongSwan generating
run_swan ping -c 2 -i 0.2 -W 5 "$ike_addr" >/dev/null || ikm_fail "ping after strongSwan's rekeys"
ikm_stop_daemon "$ike_pid"
ikm_pass
