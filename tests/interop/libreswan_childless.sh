#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Childless IKE SAs (RFC 6023) between ikemesh and Libreswan 4.10, NULL authentication: the
# clean IKE-only test on this host's kernel (no ESP), both directions.
# 1. ikemesh initiates with childless=yes: both IKE_SA_INIT messages carry
#    CHILDLESS_IKEV2_SUPPORTED, the IKE_AUTH carries no CHILD SA and Libreswan establishes the
#    IKE SA alone; ikemesh then asks for the CHILD SA in a CREATE_CHILD_SA, which Libreswan
#    refuses (TS_UNACCEPTABLE: it cannot install ESP here): ikemesh keeps the IKE SA and
#    applies the failure shunt.
# 2. Libreswan initiates childless (its `impair omit-v2-ike-auth-child`): ikemesh establishes
#    the IKE SA alone and says so; both sides list the one IKE SA and no CHILD SA.
source "$IKEMESH_TEST_LIB"
ikm_init interop-libreswan-childless
source "$IKEMESH_SOURCE/tests/interop/libreswan-common.sh"

# expect_one_ike_sa_only WHAT: both sides list one IKE SA and no CHILD SA.
expect_one_ike_sa_only() {
  ike_cli showstates >&2
  lsw_whack --showstates >&2
  [[ $(ike_sas_with_lsw) == 1 ]] || ikm_fail "$1: ikemesh has not one IKE SA with Libreswan"
  [[ $(lsw_ike_sas) == 1 ]] || ikm_fail "$1: Libreswan has not one IKE SA"
  [[ -z $(ike_cli trafficstatus) ]] || ikm_fail "$1: ikemesh lists a CHILD SA: $(ike_cli trafficstatus)"
  lsw_whack --showstates | grep -q 'STATE_V2_ESTABLISHED_CHILD_SA' && ikm_fail "$1: Libreswan lists a CHILD SA"
  return 0
}
# childless_notify_count: IKE_SA_INIT messages in the capture that carry notify 16418
# (CHILDLESS_IKEV2_SUPPORTED), found by its octets: length 8, no protocol, no SPI, type 16418.
childless_notify_count() {
  tcpdump -n -r "$IKM_TMP/wire.pcap" -x 'udp port 500' 2>/dev/null | awk '
    /^[0-9]/ { if (hex ~ /000800004022/) n++; hex = ""; next }
    { for (i = 2; i <= NF; i++) hex = hex $i }
    END { if (hex ~ /000800004022/) n++; print n + 0 }'
}

ikm_log "1. ikemesh initiates a childless IKE SA"
interop_start_ikemesh childless=yes
interop_start_libreswan
ike_cli oppo "$lsw_addr" >&2
failing() { ike_cli shuntstatus | grep -q "$lsw_addr/32 => %drop    oe-failing"; }
ikm_wait_for 10 "ikemesh's CHILD SA request to be refused" failing
grep 'IKE_AUTH request does not propose a Child SA; creating childless SA' "$lsw_dir/pluto.log" >&2 ||
  ikm_fail "Libreswan did not see a childless IKE_AUTH"
grep 'childless (RFC 6023); asking for the CHILD SA' "$ike_log" >&2 || ikm_fail "ikemesh did not log the childless IKE SA"
grep 'no CHILD SA: TS_UNACCEPTABLE' "$ike_log" >&2 || ikm_fail "ikemesh did not log the refused CHILD SA"
expect_one_ike_sa_only "ikemesh initiated"
both_announce() { (($(childless_notify_count) >= 2)); }
ikm_wait_for 5 "CHILDLESS_IKEV2_SUPPORTED in both IKE_SA_INIT messages of the capture" both_announce
kill -0 "$ike_pid" || ikm_fail "ikemeshd died"

ikm_log "2. Libreswan initiates a childless IKE SA"
interop_stop_both part1
interop_start_ikemesh
interop_start_libreswan
lsw_whack --impair omit-v2-ike-auth-child >&2
lsw_whack --name ikemesh --initiate --asynchronous >&2
childless() { grep -q 'childless, as the initiator asked (RFC 6023)' "$ike_log"; }
ikm_wait_for 10 "ikemesh to establish Libreswan's childless IKE SA" childless
ikm_wait_for 10 "Libreswan's IKE SA" bash -c "grep -q 'initiator established IKE SA' '$lsw_dir/pluto.log'"
expect_one_ike_sa_only "Libreswan initiated"
grep -q 'errno 38' "$lsw_dir/pluto.log" && ikm_fail "Libreswan tried to install a CHILD SA"
interop_stop_both part2
ikm_pass
