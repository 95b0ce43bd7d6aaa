#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ikemesh <-> Libreswan 4.10 (pluto from the unpacked Debian package), NULL authentication
# (RFC 7619), on this host's kernel, which has no ESP: IKE_SA_INIT and IKE_AUTH complete, then
# Libreswan cannot install its CHILD SA (XFRM answers errno 38).
# 1. ikemesh initiates on demand: the IKE SA is up on both sides (ikemesh showstates and
#    Libreswan's whack --showstates agree); Libreswan refuses the CHILD SA with TS_UNACCEPTABLE;
#    ikemesh logs it, applies the conn's failure shunt (drop) instead of the negotiation
#    shunt, keeps no CHILD SA, and stays up; the packet does not leave in the clear.
# 2. Libreswan initiates (whack --initiate): both sides establish the IKE SA; ikemesh answers
#    with a CHILD SA that Libreswan cannot install, after which Libreswan drops its state
#    without telling (it says "NOT sending notification"); once Libreswan's conn is deleted,
#    ikemesh's liveness checks remove what it holds: no stale state.
source "$IKEMESH_TEST_LIB"
ikm_init interop-libreswan-null
source "$IKEMESH_SOURCE/tests/interop/libreswan-common.sh"

no_ike_state() { [[ -z $(ike_cli showstates) ]]; }

ikm_log "1. ikemesh initiates; Libreswan refuses the CHILD SA"
interop_start_ikemesh dpddelay=2s retransmit-timeout=5s
interop_start_libreswan
run_ike ping -c 1 -W 2 "$lsw_addr" >&2 && ikm_fail "a ping passed without a CHILD SA"
failing() { ike_cli shuntstatus | grep -q "$lsw_addr/32 => %drop    oe-failing"; }
ikm_wait_for 10 "ikemesh's failure shunt" failing
ike_cli showstates >&2
ike_cli shuntstatus >&2
lsw_whack --showstates >&2
[[ $(ike_sas_with_lsw) == 1 ]] || ikm_fail "ikemesh has not one IKE SA with Libreswan: $(ike_cli showstates)"
[[ $(lsw_ike_sas) == 1 ]] || ikm_fail "Libreswan has not one IKE SA: $(lsw_whack --showstates)"
grep "IKE SA #1 established with $lsw_addr:4500 (private, .*peer ID ID_NULL)" "$ike_log" >&2 ||
  ikm_fail "ikemesh did not log the IKE SA with the NULL identity"
grep 'no CHILD SA: TS_UNACCEPTABLE' "$ike_log" >&2 || ikm_fail "ikemesh did not log Libreswan's TS_UNACCEPTABLE"
grep -q 'errno 38' "$lsw_dir/pluto.log" || ikm_fail "Libreswan did not fail for the reason this test expects"
[[ -z $(ike_cli trafficstatus) ]] || ikm_fail "ikemesh shows a tunnel: $(ike_cli trafficstatus)"
ike_cli shuntstatus | grep -q oe-negotiating && ikm_fail "the negotiation shunt stayed"
# While the failure shunt holds, packets to Libreswan neither pass nor start IKE again.
run_ike ping -c 2 -i 0.2 -W 1 "$lsw_addr" >/dev/null 2>&1 && ikm_fail "a ping passed the failure shunt"
(($(grep -c 'asking for a new one' "$ike_log") == 0)) || ikm_fail "the failure shunt did not stop new CHILD SA requests"
plain=$(tcpdump -n -r "$IKM_TMP/wire.pcap" icmp 2>/dev/null | wc -l)
((plain == 0)) || ikm_fail "$plain ICMP packets left in the clear"
kill -0 "$ike_pid" || ikm_fail "ikemeshd died"

ikm_log "2. Libreswan initiates"
interop_stop_both part1
interop_start_ikemesh dpddelay=2s retransmit-timeout=5s
interop_start_libreswan
lsw_whack --name ikemesh --initiate --asynchronous >&2
established() { grep -q "IKE SA #1 established with $lsw_addr:4500" "$ike_log"; }
ikm_wait_for 10 "ikemesh to establish the IKE SA Libreswan started" established
ikm_wait_for 10 "Libreswan's CHILD SA failure" grep -q 'errno 38' "$lsw_dir/pluto.log"
grep -E 'established IKE SA|errno 38|NOT sending notification' "$lsw_dir/pluto.log" >&2
grep "IKE_SA_INIT from $lsw_addr:500" "$ike_log" >&2 || ikm_fail "ikemesh did not log Libreswan's IKE_SA_INIT"
ikm_log "Libreswan's conn is deleted; ikemesh's liveness checks remove the rest"
lsw_whack --delete --name ikemesh >&2 || true
ikm_wait_for 30 "ikemesh to remove every SA with Libreswan" no_ike_state
[[ -z $(ike_cli trafficstatus) ]] || ikm_fail "a stale tunnel: $(ike_cli trafficstatus)"
grep -E 'peer is dead|deleted by the peer' "$ike_log" >&2 || ikm_fail "ikemesh did not log why the SAs went"
kill -0 "$ike_pid" || ikm_fail "ikemeshd died"
interop_stop_both part2
ikm_pass
