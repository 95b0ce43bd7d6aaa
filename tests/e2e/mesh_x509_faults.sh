#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Certificates with real daemons, beyond the happy path:
# - a node whose certificate comes from an unknown CA, or is on an imported CRL, gets no
#   tunnel; a rejection is logged once with its reason; the initiator logs the
#   reason once and applies the `private` failure shunt (drop);
# - RSA-4096 certificates from an intermediate CA make IKE_AUTH larger than the 1280-octet
#   link MTU: it is fragmented (RFC 7383) and the tunnel comes up.
source "$IKEMESH_TEST_LIB"
ikm_init mesh-x509-faults
MESH_KEY=rsa:4096 MESH_INTERMEDIATE=1 bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$IKM_TMP/certs" n1 n2
MESH_CA_NAME="Rogue CA" bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$IKM_TMP/rogue" mallory
MESH_REVOKE=revoked bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$IKM_TMP/crl" n3 revoked
ikm_lan
start_node() {  # NAME ADDRESS CERTDIR
  local node=$1 address=$2 certs=$3 etc="$IKM_TMP/$1-etc" nss="sql:$IKM_TMP/$1-nss"
  ikm_node "$node" "$address/16" 1280
  mkdir -p "$etc"
  cp -r "$IKEMESH_SOURCE/tests/data/x509-mesh/policies" "$etc/"
  sed "s/nodeXXXX/$node/" "$IKEMESH_SOURCE/tests/data/x509-mesh/mesh.conf.in" >"$etc/mesh.conf"
  "$IKM_BIN/ikemesh" initnss --nssdir "$nss" >/dev/null
  "$IKM_BIN/ikemesh" import "$certs/$node.p12" --password-file "$certs/p12-password" --nssdir "$nss" >/dev/null
  if [[ -f $certs/mesh-ca.crl ]]; then "$IKM_BIN/ikemesh" importcrl "$certs/mesh-ca.crl" --nssdir "$nss" >&2; fi
  ikm_start_daemon "$node" "$(ikm_nsname "$node")" -- --config "$etc/mesh.conf" --nssdir "$nss" \
    --plugindir "$IKEMESH_BUILD/plugins"
}
start_node n1 10.15.1.1 "$IKM_TMP/certs"
ctl1=$IKM_CTL
start_node n2 10.15.1.2 "$IKM_TMP/certs"
start_node mallory 10.15.1.66 "$IKM_TMP/rogue"
start_node n3 10.15.1.3 "$IKM_TMP/crl"
ctl3=$IKM_CTL
start_node revoked 10.15.1.99 "$IKM_TMP/crl"
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli1() { "$IKM_BIN/ikemesh" --ctl "$ctl1" "$@"; }

ikm_log "an IKE_AUTH larger than the MTU is fragmented and the tunnel comes up"
run n1 ping -c 1 -W 10 10.15.1.2 >&2 || ikm_fail "n1 -> n2 with RSA-4096 and an intermediate"
ikm_expect_contains "$(cli1 trafficstatus)" "id='C=US, ST=NC, O=Example Organization, CN=n2'" "n1 trafficstatus"
fragments=$(cli1 status --json | jq .ike.fragmentsSent)
((fragments >= 2)) || ikm_fail "IKE_AUTH was not fragmented ($fragments fragments sent)"
ikm_log "$fragments IKE fragments sent by n1"

ikm_log "a peer with a certificate from an unknown CA gets no tunnel, and the failure shunt applies"
run n1 ping -c 1 -W 2 10.15.1.66 >/dev/null 2>&1 && ikm_fail "mallory answered through a tunnel"
failing() { cli1 shuntstatus | grep -q "10.15.1.1/32 -0-> 10.15.1.66/32 => %drop    oe-failing"; }
ikm_wait_for 20 "the failure shunt for mallory" failing
[[ $(cli1 trafficstatus | grep -c '10.15.1.66') == 0 ]] || ikm_fail "a tunnel to mallory"
logs="$IKM_TMP/n1/daemon.log $IKM_TMP/mallory/daemon.log"
# shellcheck disable=SC2086
grep -h "rejected: AUTH" $logs >&2 || ikm_fail "no AUTH rejection logged"
# shellcheck disable=SC2086
grep -qhi "unknown CA\|issuer" $logs || ikm_fail "the rejection does not name the unknown CA"
ikm_log "a peer whose certificate is on the CRL (imported with ikemesh importcrl) gets no tunnel"
cli3() { "$IKM_BIN/ikemesh" --ctl "$ctl3" "$@"; }
run revoked ping -c 1 -W 2 10.15.1.3 >/dev/null 2>&1 && ikm_fail "n3 answered the revoked node through a tunnel"
grep -h "rejected: AUTH: revoked" "$IKM_TMP/n3/daemon.log" >&2 || ikm_fail "n3 did not refuse the revoked certificate"
[[ $(cli3 trafficstatus | grep -c '10.15.1.99') == 0 ]] || ikm_fail "a tunnel with the revoked node"
ikm_pass
