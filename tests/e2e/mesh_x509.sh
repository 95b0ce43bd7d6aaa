#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mesh guide's procedure with certificates, on three nodes: initnss, import NODE.p12
# (password from a file), the guide's mesh.conf and policy files, start, ping, trafficstatus.
# Tunnels show the peer's certificate subject; certutil lists the node certificate and the CA.
source "$IKEMESH_TEST_LIB"
ikm_init mesh-x509
certs="$IKM_TMP/certs"
bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$certs" n1 n2 n3
ikm_lan
for i in 1 2 3; do
  node=n$i
  ikm_node "$node" "10.15.1.$i/16"
  etc="$IKM_TMP/$node-etc"
  mkdir -p "$etc"
  cp -r "$IKEMESH_SOURCE/tests/data/x509-mesh/policies" "$etc/"
  sed "s/nodeXXXX/$node/" "$IKEMESH_SOURCE/tests/data/x509-mesh/mesh.conf.in" >"$etc/mesh.conf"
  nss="sql:$IKM_TMP/$node-nss"
  "$IKM_BIN/ikemesh" initnss --nssdir "$nss" >&2
  "$IKM_BIN/ikemesh" import "$certs/$node.p12" --password-file "$certs/p12-password" --nssdir "$nss" >&2
  ikm_start_daemon "$node" "$(ikm_nsname "$node")" -- --config "$etc/mesh.conf" --nssdir "$nss" \
    --plugindir "$IKEMESH_BUILD/plugins"
  declare "ctl$i=$IKM_CTL"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }

ikm_log "certutil lists the node certificate and the CA"
listing=$(certutil -L -d "sql:$IKM_TMP/n1-nss")
echo "$listing" >&2
grep -qE '^n1 +u,u,u' <<<"$listing" || ikm_fail "node certificate missing"
grep -qE '^(Mesh CA|mesh-ca) +CT,' <<<"$listing" || ikm_fail "trusted CA missing"

ikm_log "the first ping opens a tunnel authenticated by certificates"
run n1 ping -c 1 -W 10 10.15.1.2 >&2 || ikm_fail "n1 -> n2"
run n3 ping -c 2 -i 0.2 -W 10 10.15.1.1 >&2 || ikm_fail "n3 -> n1"
traffic=$(cli 1 trafficstatus)
echo "$traffic" >&2
ikm_expect_contains "$traffic" "...10.15.1.2, type=ESP" "n1 trafficstatus"
ikm_expect_contains "$traffic" "id='C=US, ST=NC, O=Example Organization, CN=n2'" "n1 trafficstatus"
ikm_expect_contains "$traffic" "id='C=US, ST=NC, O=Example Organization, CN=n3'" "n1 trafficstatus"
ikm_expect_contains "$(cli 2 trafficstatus)" "id='C=US, ST=NC, O=Example Organization, CN=n1'" "n2 trafficstatus"

ikm_log "the imported key (extractable, in NSS's software token) signs in libcrypto"
ikm_expect_contains "$(cat "$IKM_TMP/n1/daemon.log")" "our key for certificate 'n1' signs in libcrypto" "n1 daemon.log"
ikm_pass
