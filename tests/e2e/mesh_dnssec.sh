#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Keys published in DNS (auth-dnssec): each node makes its host key (ikemesh newhostkey), its
# IPSECKEY record (ikemesh showhostkey --ipseckey) goes into reverse zones (and the forward
# zone for a node with an FQDN ID), which ldns-signzone signs and nsd serves from a namespace
# on the mesh's bridge (a `clear` exception: DNS must not wait for a tunnel). The nodes' trust anchors are the DS records of the zones' keys.
# - n1 (RSA), n2 (ECDSA) and n3 (FQDN ID, forward zone) get tunnels; trafficstatus shows IDs.
# - refused, no SA, and the log line says why: a zone whose signatures expired (n4), one
#   signed with a key the anchor does not trust (n5), an unsigned zone (n6), signatures not
#   valid yet (n8), a published key that is not the one the peer signs with (n7).
source "$IKEMESH_TEST_LIB"
ikm_init mesh-dnssec
zones="$IKM_TMP/zones"
mkdir -p "$zones"
resolver=10.15.0.53
ikm_lan
ikm_ns_add dns
lan=$(ikm_nsname lan)
ip -n "$lan" link add v-dns type veth peer name eth0 netns "$(ikm_nsname dns)"
ip -n "$lan" link set v-dns master br0 up
ip -n "$(ikm_nsname dns)" link set eth0 up
ip -n "$(ikm_nsname dns)" addr add "$resolver/16" dev eth0

# NODE ADDRESS KEYTYPE: the node's namespace, its NSS database and host key.
declare -A address
make_node() {
  local node=$1 nss="sql:$IKM_TMP/$1-nss"
  address[$node]=$2
  ikm_node "$node" "$2/16"
  "$IKM_BIN/ikemesh" initnss --nssdir "$nss" >/dev/null
  "$IKM_BIN/ikemesh" newhostkey --nssdir "$nss" --keytype "$3" >&2
}
make_node n1 10.15.1.1 rsa
make_node n2 10.15.1.2 ecdsa
make_node n3 10.15.1.3 ecdsa
make_node n4 10.15.2.4 ecdsa
make_node n5 10.15.3.5 ecdsa
make_node n6 10.15.4.6 ecdsa
make_node n7 10.15.1.7 ecdsa
make_node n8 10.15.5.8 ecdsa
ikm_log "newhostkey keeps an existing host key; showhostkey prints forward and reverse records"
again=$("$IKM_BIN/ikemesh" newhostkey --nssdir "sql:$IKM_TMP/n1-nss" 2>&1) && ikm_fail "a second host key was made"
ikm_expect_contains "$again" "holds a host key 'ikemesh-hostkey' already" "newhostkey twice"
shown=$("$IKM_BIN/ikemesh" showhostkey --ipseckey --nssdir "sql:$IKM_TMP/n2-nss" --address 2001:db8::2 --name n2.mesh.test)
echo "$shown" >&2
ikm_expect_contains "$shown" "n2.mesh.test.	IN	IPSECKEY	10 0 3 . " "showhostkey forward"
ikm_expect_contains "$shown" "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.	IN	IPSECKEY	10 0 3 . " \
  "showhostkey reverse (IPv6)"
certutil -K -d "sql:$IKM_TMP/n1-nss" | grep -q "rsa .*ikemesh-hostkey" || ikm_fail "certutil -K does not list the RSA host key"
# The key published for n7 is another one than n7 signs with.
"$IKM_BIN/ikemesh" initnss --nssdir "sql:$IKM_TMP/n7-published" >/dev/null
"$IKM_BIN/ikemesh" newhostkey --nssdir "sql:$IKM_TMP/n7-published" --keytype ecdsa >/dev/null

record() {  # NODE [NSSDIR] [--name FQDN]: the node's IPSECKEY lines
  local nss=${2:-sql:$IKM_TMP/$1-nss}
  "$IKM_BIN/ikemesh" showhostkey --ipseckey --nssdir "$nss" --address "${address[$1]}" "${@:3}" | grep -v '^;'
}
zone_head() {  # ORIGIN
  printf '$ORIGIN %s\n$TTL 300\n@ IN SOA ns.mesh.test. admin.mesh.test. 1 3600 600 86400 300\n@ IN NS ns.mesh.test.\n' "$1"
}
{
  zone_head 1.15.10.in-addr.arpa.
  record n1
  record n2
  record n3
  record n7 "sql:$IKM_TMP/n7-published"
} >"$zones/1.15.10.in-addr.arpa"
{ zone_head 2.15.10.in-addr.arpa.; record n4; } >"$zones/2.15.10.in-addr.arpa"
{ zone_head 3.15.10.in-addr.arpa.; record n5; } >"$zones/3.15.10.in-addr.arpa"
{ zone_head 4.15.10.in-addr.arpa.; record n6; } >"$zones/4.15.10.in-addr.arpa"
{ zone_head 5.15.10.in-addr.arpa.; record n8; } >"$zones/5.15.10.in-addr.arpa"
{
  zone_head mesh.test.
  "$IKM_BIN/ikemesh" showhostkey --ipseckey --nssdir "sql:$IKM_TMP/n3-nss" --name n3.mesh.test | grep -v '^;'
} >"$zones/mesh.test"
cat "$zones/1.15.10.in-addr.arpa" >&2

# ZONE [ldns-signzone options]: a key-signing and a zone-signing key, the signed zone, and the
# KSK's DS record (what the anchor file holds).
sign_zone() {
  local zone=$1
  shift
  (
    cd "$zones"
    ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$zone")
    zsk=$(ldns-keygen -a ECDSAP256SHA256 "$zone")
    ldns-signzone "$@" -f "$zone.signed" "$zone" "$ksk" "$zsk"
    cat "$ksk.ds" >>anchors
  )
}
sign_zone 1.15.10.in-addr.arpa -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)"
sign_zone mesh.test -n -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)"
sign_zone 2.15.10.in-addr.arpa -i "$(date -u -d '-30 days' +%Y%m%d%H%M%S)" -e "$(date -u -d '-1 day' +%Y%m%d%H%M%S)"
sign_zone 5.15.10.in-addr.arpa -i "$(date -u -d '+10 days' +%Y%m%d%H%M%S)" -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)"
sign_zone 4.15.10.in-addr.arpa
cp "$zones/4.15.10.in-addr.arpa" "$zones/4.15.10.in-addr.arpa.signed"  # served unsigned, anchor kept
# 3.15.10: the anchor holds the DS of one key, the zone is signed with another.
(cd "$zones" && ldns-keygen -a ECDSAP256SHA256 -k 3.15.10.in-addr.arpa >/dev/null && cat K3.15.10.in-addr.arpa*.ds >>anchors && rm K3.15.10.in-addr.arpa*)
sign_zone 3.15.10.in-addr.arpa
sed -i '$d' "$zones/anchors"  # drop the DS of the key that really signed 3.15.10
grep -c IN "$zones/anchors" | grep -qx 6 || ikm_fail "anchors: $(cat "$zones/anchors")"
cat "$zones/anchors" >&2

# nsd, in the foreground, in the DNS namespace, on files of this test only.
{
  printf 'server:\n  ip-address: %s\n  port: 53\n  username: ""\n  chroot: ""\n  database: ""\n' "$resolver"
  printf '  zonesdir: "%s"\n  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n' "$zones" "$zones" "$zones"
  printf '  xfrdir: "%s"\n  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n  server-count: 1\n' "$zones" "$zones" "$zones"
  printf 'remote-control:\n  control-enable: no\n'
  for zone in 1.15.10.in-addr.arpa 2.15.10.in-addr.arpa 3.15.10.in-addr.arpa 4.15.10.in-addr.arpa \
    5.15.10.in-addr.arpa mesh.test; do
    printf 'zone:\n  name: %s\n  zonefile: %s.signed\n' "$zone" "$zone"
  done
} >"$zones/nsd.conf"
nsd-checkconf "$zones/nsd.conf" >&2 || ikm_fail "nsd.conf"
ip netns exec "$(ikm_nsname dns)" nsd -d -c "$zones/nsd.conf" >"$zones/nsd.out" 2>&1 &
ikm_track $!
ikm_wait_for 20 "nsd answering" ip netns exec "$(ikm_nsname n1)" drill -Q @"$resolver" SOA mesh.test
ip netns exec "$(ikm_nsname n1)" drill -D @"$resolver" IPSECKEY 1.1.15.10.in-addr.arpa >&2

ikm_log "auth-dnssec passes the SDK's conformance checks (both sides n1's key, published for 10.15.1.1)"
ip netns exec "$(ikm_nsname n1)" env IKEMESH_NSSDIR="sql:$IKM_TMP/n1-nss" \
  "$IKEMESH_BUILD/tests/conformance/plugin_conformance" "$IKEMESH_BUILD/plugins/ikemesh-auth-dnssec.so" \
  --local 10.15.1.1 --peer 10.15.1.1 --set "/dnssec-anchors=$zones/anchors" --set "/dnssec-resolver=$resolver" \
  --set "initiator/rightrsasigkey=%dnsondemand" --set "responder/rightrsasigkey=%dnsondemand" >&2 ||
  ikm_fail "auth-dnssec does not conform to the SDK's checks"

declare -A ctl
for node in n1 n2 n3 n4 n5 n6 n7 n8; do
  etc="$IKM_TMP/$node-etc"
  mkdir -p "$etc"
  cp -r "$IKEMESH_SOURCE/tests/data/dnssec-mesh/policies" "$etc/"
  leftid=""
  [[ $node == n3 ]] && leftid="leftid=@n3.mesh.test"
  sed -e "s|@ANCHORS@|$zones/anchors|" -e "s|@RESOLVER@|$resolver|" -e "s|@LEFTID@|$leftid|" \
    "$IKEMESH_SOURCE/tests/data/dnssec-mesh/mesh.conf.in" >"$etc/mesh.conf"
  ikm_start_daemon "$node" "$(ikm_nsname "$node")" -- --config "$etc/mesh.conf" --nssdir "sql:$IKM_TMP/$node-nss" \
    --plugindir "$IKEMESH_BUILD/plugins"
  ctl[$node]=$IKM_CTL
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { "$IKM_BIN/ikemesh" --ctl "${ctl[$1]}" "${@:2}"; }

ikm_log "keys from secure IPSECKEY records: RSA (n1), ECDSA (n2), an FQDN ID (n3)"
run n1 ping -c 1 -W 10 10.15.1.2 >&2 || ikm_fail "n1 -> n2"
run n3 ping -c 1 -W 10 10.15.1.1 >&2 || ikm_fail "n3 -> n1"
run n2 ping -c 1 -W 10 10.15.1.3 >&2 || ikm_fail "n2 -> n3"
traffic=$(cli n1 trafficstatus)
echo "$traffic" >&2
ikm_expect_contains "$traffic" "id='10.15.1.2'" "n1 trafficstatus"
ikm_expect_contains "$traffic" "id='@n3.mesh.test'" "n1 trafficstatus"
ikm_expect_contains "$(cli n2 trafficstatus)" "id='10.15.1.1'" "n2 trafficstatus"
ikm_expect_contains "$(cli n2 trafficstatus)" "id='@n3.mesh.test'" "n2 trafficstatus"
started=$(grep -n "IPSECKEY 2.1.15.10.in-addr.arpa.: lookup started beside IKE_SA_INIT" "$IKM_TMP/n1/daemon.log" | cut -d: -f1)
secure=$(grep -n "IPSECKEY 2.1.15.10.in-addr.arpa.: 1 secure record" "$IKM_TMP/n1/daemon.log" | cut -d: -f1)
[[ -n $started && -n $secure ]] || ikm_fail "n1 did not log the lookup of n2's key (started '$started', secure '$secure')"
((started < secure)) || ikm_fail "n1 looked n2's key up only at IKE_AUTH"
grep -c "lookup started beside IKE_SA_INIT" "$IKM_TMP/n2/daemon.log" | grep -qx 2 ||
  ikm_fail "n2 (responder to n1, initiator to n3) did not start its two lookups at IKE_SA_INIT"

# PEER NEEDLE WHAT: n1 gets no tunnel to PEER and logs NEEDLE.
refused() {
  local peer=$1 needle=$2 what=$3
  ikm_log "refused: $what"
  run n1 ping -c 1 -W 2 "${address[$peer]}" >/dev/null 2>&1 && ikm_fail "$peer answered through a tunnel ($what)"
  ikm_wait_for 20 "n1 logging '$needle'" grep -qF "$needle" "$IKM_TMP/n1/daemon.log"
  grep -hF "$needle" "$IKM_TMP/n1/daemon.log" | head -2 >&2
  [[ $(cli n1 trafficstatus | grep -c "${address[$peer]}") == 0 ]] || ikm_fail "a tunnel with $peer ($what)"
}
refused n4 "expired: refused IPSECKEY 4.2.15.10.in-addr.arpa." "expired signatures"
refused n5 "bogus: refused IPSECKEY 5.3.15.10.in-addr.arpa." "a zone signed with a key the anchor does not trust"
grep -q "matches its trust anchor" "$IKM_TMP/n1/daemon.log" || ikm_fail "the bogus refusal does not name the anchor"
refused n6 "unsigned: refused IPSECKEY 6.4.15.10.in-addr.arpa." "an unsigned record"
refused n8 "not yet valid: refused IPSECKEY 8.5.15.10.in-addr.arpa." "signatures not valid yet"
refused n7 "bad signature: the peer's AUTH" "a published key that does not match the peer's AUTH"
ikm_pass
