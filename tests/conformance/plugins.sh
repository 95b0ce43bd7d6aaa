#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every plugin we build passes the SDK's conformance checks (plugin_conformance): the auth
# methods with the two-peer harness (auth-x509 with two nodes' certificates from make-mesh-
# certs.sh in one NSS database), the dataplanes in a network namespace of this test.
source "$IKEMESH_TEST_LIB"
ikm_init conformance
check="$IKEMESH_BUILD/tests/conformance/plugin_conformance"
plugins="$IKEMESH_BUILD/plugins"
checked=0

conforms() {
  local out status=0
  out=$("$@" 2>&1) || status=$?
  echo "$out" >&2
  ((status == 0)) || ikm_fail "$(basename "$2"): does not conform"
  checked=$((checked + 1))
}

ikm_log "auth-null"
conforms "$check" "$plugins/ikemesh-auth-null.so"

ikm_log "auth-x509: n1 and n2 from one CA, in one NSS database"
bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$IKM_TMP/certs" n1 n2 >"$IKM_TMP/certs.log" 2>&1 ||
  { cat "$IKM_TMP/certs.log" >&2; ikm_fail "make-mesh-certs.sh"; }
nss="sql:$IKM_TMP/nss"
"$IKM_BIN/ikemesh" initnss --nssdir "$nss" >&2
for n in n1 n2; do
  "$IKM_BIN/ikemesh" import "$IKM_TMP/certs/$n.p12" --password-file "$IKM_TMP/certs/p12-password" --nssdir "$nss" >&2 ||
    ikm_fail "import $n.p12"
done
IKEMESH_NSSDIR=$nss conforms "$check" "$plugins/ikemesh-auth-x509.so" \
  --set initiator/leftcert=n1 --set responder/leftcert=n2

ikm_log "kernel-tun, in a namespace with 192.0.2.1 on a veth"
ikm_ns_add dp
ikm_ns_add other
ns=$(ikm_nsname dp)
ip -n "$ns" link add veth0 type veth peer name veth1 netns "$(ikm_nsname other)"
ip -n "$ns" addr add 192.0.2.1/24 dev veth0
ip -n "$ns" link set veth0 up
conforms ip netns exec "$ns" "$check" "$plugins/ikemesh-kernel-tun.so" --udp-encapsulation

ikm_log "$checked plugin files conform"
ikm_pass
