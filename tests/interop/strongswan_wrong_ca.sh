#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Certificates that do not chain to the CA the other side trusts, against strongSwan charon:
# 1. strongSwan trusts another CA (not ikemesh's): ikemesh initiates and strongSwan answers
#    AUTHENTICATION_FAILED;
# 2. the same, strongSwan initiates: ikemesh accepts strongSwan, strongSwan refuses ikemesh's
#    AUTH and says so in an INFORMATIONAL AUTHENTICATION_FAILED (RFC 7296 §2.21.2);
# 3. strongSwan's certificate comes from another CA (ikemesh refuses it), both directions.
# Each time: the failure is logged clearly on both sides, ikemesh applies its failure shunt
# (drop) when it initiated, and neither side keeps an SA (nothing in trafficstatus,
# showstates, swanctl --list-sas) nor lets a packet through.
source "$IKEMESH_TEST_LIB"
ikm_init interop-strongswan-wrong-ca
source "$IKEMESH_SOURCE/tests/interop/strongswan-common.sh"
rogue="$IKM_TMP/rogue"
MESH_CA_NAME="Rogue CA" bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$rogue" swan >&2
certutil -L -d "sql:$rogue/ca-db" -n mesh-ca -a >"$rogue/ca.pem"

# expect_nothing_installed WHAT: no SA on either side, and a ping does not pass.
expect_nothing_installed() {
  local states
  states=$(ike_cli showstates)
  [[ -z $states ]] || ikm_fail "$1: ikemesh kept state: $states"
  [[ $(ike_child_count) == 0 ]] || ikm_fail "$1: ikemesh kept a tunnel: $(ike_cli trafficstatus)"
  [[ -z $(swan_sas) ]] || ikm_fail "$1: strongSwan kept an SA: $(swan_sas)"
  run_ike ping -c 1 -W 1 "$swan_addr" >/dev/null 2>&1 && ikm_fail "$1: a ping passed"
  return 0
}
no_ike_state() { [[ -z $(ike_cli showstates) ]]; }
ike_log="$IKM_TMP/ike/daemon.log"

ikm_log "1. strongSwan trusts another CA; ikemesh initiates"
interop_start_ikemesh
interop_start_strongswan "" "" "" "" "$rogue/ca.pem"
run_ike ping -c 1 -W 3 "$swan_addr" >&2 && ikm_fail "a ping passed"
ikm_wait_for 10 "ikemesh to give up" no_ike_state
grep 'answered AUTHENTICATION_FAILED' "$ike_log" >&2 || ikm_fail "ikemesh did not log strongSwan's AUTHENTICATION_FAILED"
grep -E 'no trusted (RSA|ECDSA) public key found|constraint check failed|no issuer certificate found' "$swan_dir/charon.log" >&2 ||
  ikm_fail "strongSwan did not log why it refused ikemesh's certificate"
ike_cli shuntstatus | grep "$swan_addr/32 => %drop    oe-failing" >&2 || ikm_fail "no failure shunt (drop)"
expect_nothing_installed "strongSwan refused ikemesh"
grep -q 'CHILD SA up' "$ike_log" && ikm_fail "ikemesh installed a CHILD SA"

ikm_log "2. strongSwan trusts another CA; strongSwan initiates"
interop_stop_both
interop_start_ikemesh
interop_start_strongswan "" "" "" "" "$rogue/ca.pem"
swan_ctl --initiate --child ike --timeout 10 >"$swan_dir/initiate.log" 2>&1 && ikm_fail "swanctl --initiate succeeded"
ikm_wait_for 10 "ikemesh to remove the SAs" no_ike_state
grep -E 'refused our authentication|AUTHENTICATION_FAILED' "$ike_log" >&2 || ikm_fail "ikemesh did not log the refusal"
grep -E 'sending (INFORMATIONAL|.*AUTH_FAILED)|generating INFORMATIONAL request [0-9]+ \[ N\(AUTH_FAILED\) \]' "$swan_dir/charon.log" >&2 || true
expect_nothing_installed "strongSwan refused ikemesh's answer"

ikm_log "3. strongSwan's certificate comes from another CA; both directions"
interop_stop_both
certutil -L -d "sql:$rogue/ca-db" -n swan -a >"$certs/swan-cert.pem"
openssl pkcs12 -in "$rogue/swan.p12" -passin "file:$rogue/p12-password" -nocerts -nodes 2>/dev/null |
  openssl pkey -out "$certs/swan-key.pem"
interop_start_ikemesh
# strongSwan trusts both CAs: only ikemesh refuses.
interop_start_strongswan "" "" "" "" "$certs/ca.pem, $rogue/ca.pem"
run_ike ping -c 1 -W 3 "$swan_addr" >&2 && ikm_fail "a ping passed"
ikm_wait_for 10 "ikemesh to give up" no_ike_state
grep 'rejected: AUTH' "$ike_log" >&2 || ikm_fail "ikemesh did not log why it refused strongSwan"
expect_nothing_installed "ikemesh initiated to a rogue certificate"
swan_ctl --initiate --child ike --timeout 10 >"$swan_dir/initiate.log" 2>&1 && ikm_fail "swanctl --initiate succeeded"
grep -E 'received AUTHENTICATION_FAILED notify error' "$swan_dir/charon.log" >&2 ||
  ikm_fail "strongSwan did not get AUTHENTICATION_FAILED from ikemesh"
ikm_wait_for 10 "ikemesh to forget the refused peer" no_ike_state
expect_nothing_installed "strongSwan initiated with a rogue certificate"
ikm_stop_daemon "$ike_pid"
ikm_pass
