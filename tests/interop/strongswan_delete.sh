#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DELETE (RFC 7296 §1.4.1) and liveness (§2.4) between ikemesh and strongSwan charon:
# 1. ikemesh deletes the IKE SA (`ikemesh down`): strongSwan removes it and its CHILD SA; the
#    next packet opens a new tunnel;
# 2. strongSwan deletes the CHILD SA only (swanctl --terminate --child): ikemesh removes it and
#    keeps the IKE SA; the next packet gets a new CHILD SA on that IKE SA;
# 3. strongSwan deletes the IKE SA (swanctl --terminate --ike): ikemesh removes everything;
# 4. charon is killed (SIGKILL): ikemesh's liveness checks notice and remove the SAs;
# 5. ikemeshd is killed (SIGKILL): strongSwan's dead peer detection notices and removes its.
source "$IKEMESH_TEST_LIB"
ikm_init interop-strongswan-delete
source "$IKEMESH_SOURCE/tests/interop/strongswan-common.sh"

ike_sa_count() { ike_cli showstates | grep -c 'IKE SA' || true; }
swan_ike_sa_count() { swan_sas | grep -c 'ESTABLISHED' || true; }
no_tunnel_at_ikemesh() { [[ $(ike_child_count) == 0 ]]; }
no_ike_sa_at_ikemesh() { [[ $(ike_sa_count) == 0 ]]; }
no_sa_at_strongswan() { [[ -z $(swan_sas) ]]; }
swan_log() { cat "$swan_dir/charon.log"; }

interop_start_ikemesh dpddelay=2s retransmit-timeout=6s
interop_start_strongswan
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "the first ping"
expect_tunnel "before the deletes"

ikm_log "1. ikemesh deletes the IKE SA"
ike_cli down "$swan_addr" >&2
ikm_wait_for 10 "strongSwan to remove the SAs" no_sa_at_strongswan
ikm_wait_for 10 "ikemesh to remove the SAs" no_ike_sa_at_ikemesh
grep -q 'received DELETE for IKE_SA' "$swan_dir/charon.log" || ikm_fail "strongSwan logged no DELETE"
[[ $(ike_child_count) == 0 ]] || ikm_fail "ikemesh kept a tunnel: $(ike_cli trafficstatus)"
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "no new tunnel after ikemesh's DELETE"
expect_tunnel "after ikemesh's DELETE"

ikm_log "2. strongSwan deletes the CHILD SA"
swan_ctl --terminate --child ike --timeout 10 >&2 || ikm_fail "swanctl --terminate --child"
ikm_wait_for 10 "ikemesh to remove the CHILD SA" no_tunnel_at_ikemesh
[[ $(ike_sa_count) == 1 ]] || ikm_fail "ikemesh lost the IKE SA with the CHILD SA: $(ike_cli showstates)"
(($(swan_ike_sa_count) == 1)) || ikm_fail "strongSwan lost the IKE SA"
ike_cli shuntstatus >&2
ikm_log "the next packet asks for a new CHILD SA on the same IKE SA"
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "no new CHILD SA after strongSwan's DELETE"
expect_tunnel "after strongSwan's CHILD SA DELETE"
[[ $(ike_sa_count) == 1 ]] || ikm_fail "a second IKE SA: $(ike_cli showstates)"
grep -q 'parsed CREATE_CHILD_SA request [0-9]* \[ SA No KE TSi TSr \]' "$swan_dir/charon.log" ||
  ikm_fail "the new CHILD SA did not come from a CREATE_CHILD_SA"

ikm_log "3. strongSwan deletes the IKE SA"
swan_ctl --terminate --ike ike --timeout 10 >&2 || ikm_fail "swanctl --terminate --ike"
ikm_wait_for 10 "ikemesh to remove the SAs" no_ike_sa_at_ikemesh
[[ $(ike_child_count) == 0 ]] || ikm_fail "ikemesh kept a tunnel"
grep "deleted by the peer" "$IKM_TMP/ike/daemon.log" >&2 || ikm_fail "ikemesh logged no DELETE from the peer"

ikm_log "4. charon dies: ikemesh's liveness checks notice"
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "no tunnel before killing charon"
expect_tunnel "before killing charon"
kill -KILL "$swan_pid"
wait "$swan_pid" || true
ikm_wait_for 30 "ikemesh to declare strongSwan dead" no_ike_sa_at_ikemesh
grep "peer is dead" "$IKM_TMP/ike/daemon.log" >&2 || ikm_fail "ikemesh did not log the dead peer"
[[ $(ike_child_count) == 0 ]] || ikm_fail "ikemesh kept a tunnel to a dead peer"

ikm_log "5. ikemeshd dies: strongSwan's dead peer detection notices"
# charon retransmits twice, one second apart, before it declares the peer dead.
printf 'retransmit_tries = 2\nretransmit_timeout = 1.0\nretransmit_base = 1.0\n' >"$swan_dir/extra.conf"
interop_start_strongswan "" "" "dpd_delay = 2s"
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "no tunnel before killing ikemeshd"
expect_tunnel "before killing ikemeshd"
kill -KILL "$ike_pid"
wait "$ike_pid" || true
ikm_wait_for 30 "strongSwan to declare ikemesh dead" no_sa_at_strongswan
grep -E 'giving up after [0-9]+ retransmits|peer not responding' "$swan_dir/charon.log" >&2 ||
  ikm_fail "strongSwan did not log the dead peer"
ikm_pass
