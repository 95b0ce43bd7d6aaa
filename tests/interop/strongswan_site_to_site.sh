#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An explicit site-to-site tunnel between ikemesh (kernel-tun, X.509 from an NSS database) and
# strongSwan 5.9.8 charon (kernel-libipsec), each a gateway with a subnet behind it:
# ikemesh's 198.51.100.0/24 (host 198.51.100.10) and strongSwan's 203.0.113.0/24 (host
# 203.0.113.10). Both conns are auto=add; each side initiates in turn:
# 1. `ikemesh up s2s`: one line says established with the subnets; the hosts ping each other;
#    swanctl shows the CHILD SA with those subnets. strongSwan deletes the CHILD SA alone:
#    ikemesh, keeping the conn up, asks for a new one on the same IKE SA.
# 2. `ikemesh down s2s` removes it on both sides; `swanctl --initiate` from strongSwan: ikemesh
#    answers with conn s2s (chosen by the peer's address and its traffic selectors), the hosts
#    ping each other again.
source "$IKEMESH_TEST_LIB"
ikm_init interop-strongswan-s2s
source "$IKEMESH_SOURCE/tests/lib/strongswan.sh"
reason=$(ikm_strongswan_missing)
[[ -z $reason ]] || ikm_fail "$reason: run scripts/install-deps.sh"
for tool in openssl certutil pk12util tcpdump jq; do
  command -v "$tool" >/dev/null || ikm_fail "$tool is missing: run scripts/install-deps.sh"
done

ikm_lan
ikm_site ike 192.0.2.1/24 198.51.100.1/24 hostw 198.51.100.10/24
ikm_site swan 192.0.2.2/24 203.0.113.1/24 hoste 203.0.113.10/24
ike_ns=$(ikm_nsname ike)
swan_ns=$(ikm_nsname swan)
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
ikm_capture wire "$ike_ns" eth0 ip and not igmp

certs="$IKM_TMP/certs"
ikm_strongswan_certs "$certs" >&2
swan_id="C=US, ST=NC, O=Example Organization, CN=swan"
nss="sql:$IKM_TMP/ike-nss"
"$IKM_BIN/ikemesh" initnss --nssdir "$nss" >/dev/null
"$IKM_BIN/ikemesh" import "$certs/ike.p12" --password-file "$certs/p12-password" --nssdir "$nss" >/dev/null
mkdir -p "$IKM_TMP/ike-etc"
cat >"$IKM_TMP/ike-etc/ipsec.conf" <<CONF
config setup
	dataplane=tun

conn s2s
	auto=add
	type=tunnel
	authby=rsasig
	leftcert=ike
	leftid=%fromcert
	rightid="$swan_id"
	left=192.0.2.1
	leftsubnet=198.51.100.0/24
	right=192.0.2.2
	rightsubnet=203.0.113.0/24
CONF
ikm_start_daemon ike "$ike_ns" -- --config "$IKM_TMP/ike-etc/ipsec.conf" --nssdir "$nss" \
  --plugindir "$IKEMESH_BUILD/plugins"
ike_pid=$IKM_PID
ike_ctl=$IKM_CTL
ike_cli() { "$IKM_BIN/ikemesh" --ctl "$ike_ctl" "$@"; }

ikm_strongswan_start swan "$swan_ns"
swan_dir=$IKM_SS_DIR
swan_ctl() { ikm_swanctl "$swan_dir" "$swan_ns" "$@"; }
cp "$certs/swan-cert.pem" "$swan_dir/swanctl/x509/"
cp "$certs/swan-key.pem" "$swan_dir/swanctl/private/"
cat >"$swan_dir/swanctl/swanctl.conf" <<CONF
connections {
  s2s {
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes128gcm16-prfsha256-ecp256
    local {
      auth = pubkey
      certs = swan-cert.pem
      id = "$swan_id"
    }
    remote {
      auth = pubkey
      cacerts = $certs/ca.pem
      id = %any
    }
    children {
      s2s {
        mode = tunnel
        esp_proposals = aes128gcm16-ecp256
        local_ts = 203.0.113.0/24
        remote_ts = 198.51.100.0/24
      }
    }
  }
}
CONF
swan_ctl --load-all >"$swan_dir/load.log" 2>&1 || ikm_fail "swanctl --load-all: $(cat "$swan_dir/load.log")"

# expect_site_tunnel WHAT: both sides have the CHILD SA of the two subnets; the hosts ping.
expect_site_tunnel() {
  local what=$1 sas
  sas=$(swan_ctl --list-sas)
  echo "$sas" >&2
  grep -q "INSTALLED, TUNNEL" <<<"$sas" || ikm_fail "$what: strongSwan has no installed tunnel: $sas"
  grep -q "local  203.0.113.0/24" <<<"$sas" && grep -q "remote 198.51.100.0/24" <<<"$sas" ||
    ikm_fail "$what: strongSwan's CHILD SA does not have the subnets: $sas"
  [[ $(ike_cli connstatus s2s --json | jq -r .selectors) == "198.51.100.0/24 === 203.0.113.0/24" ]] ||
    ikm_fail "$what: ikemesh's CHILD SA: $(ike_cli connstatus s2s)"
  ike_cli trafficstatus | grep -q "\"s2s\", type=ESP, .*id='$swan_id'" ||
    ikm_fail "$what: ikemesh's trafficstatus: $(ike_cli trafficstatus)"
  run hostw ping -c 3 -i 0.2 -W 5 203.0.113.10 >&2 || ikm_fail "$what: hostw -> hoste"
  run hoste ping -c 3 -i 0.2 -W 5 198.51.100.10 >&2 || ikm_fail "$what: hoste -> hostw"
}

ikm_log "1. ikemesh initiates: ikemesh up s2s"
out=$(ike_cli up s2s) || ikm_fail "ikemesh up s2s: $out"
echo "$out" >&2
[[ $out =~ ^up:\ \"s2s\"\ established,\ IKE\ SA\ \#[0-9]+,\ CHILD\ SA\ \#[0-9]+\ \(198\.51\.100\.0/24\ ===\ 203\.0\.113\.0/24\)$ ]] ||
  ikm_fail "up's line: $out"
expect_site_tunnel "ikemesh initiated"

ikm_log "strongSwan deletes the CHILD SA alone: ikemesh, which keeps s2s up since its up, asks for a new one"
ike_sa=$(ike_cli connstatus s2s --json | jq .ikeSa)
child=$(ike_cli connstatus s2s --json | jq .childSa)
swan_ctl --terminate --child s2s --timeout 10 >&2 || ikm_fail "swanctl --terminate --child s2s"
new_child() {
  local status
  status=$(ike_cli connstatus s2s --json)
  [[ $(jq -r .phase <<<"$status") == established && $(jq .ikeSa <<<"$status") == "$ike_sa" &&
    $(jq .childSa <<<"$status") != "$child" ]]
}
ikm_wait_for 10 "a new CHILD SA on IKE SA #$ike_sa" new_child
grep -q "conn 's2s': its CHILD SA was deleted, IKE SA #$ike_sa stays" "$IKM_TMP/ike/daemon.log" ||
  ikm_fail "ikemesh did not see the CHILD SA go"
expect_site_tunnel "after strongSwan deleted the CHILD SA"

ikm_log "2. ikemesh down s2s, then strongSwan initiates"
ike_cli down s2s >&2 || ikm_fail "ikemesh down s2s"
swan_gone() { ! swan_ctl --list-sas | grep -q INSTALLED; }
ikm_wait_for 10 "strongSwan's SAs gone after ikemesh's DELETE" swan_gone
swan_ctl --initiate --child s2s --timeout 20 >"$swan_dir/initiate.log" 2>&1 ||
  ikm_fail "swanctl --initiate: $(tail -3 "$swan_dir/initiate.log")"
established() { [[ $(ike_cli connstatus s2s --json | jq -r .phase) == established ]]; }
ikm_wait_for 5 "ikemesh's s2s established as responder" established
expect_site_tunnel "strongSwan initiated"

ikm_capture_stop "$IKM_CAPTURE_PID"
wire=$(tcpdump -n -r "$IKM_TMP/wire.pcap" 2>/dev/null)
clear=$(grep -E '(198\.51\.100|203\.0\.113)\.[0-9]+ > ' <<<"$wire" || true)
[[ -z $clear ]] || ikm_fail "subnet traffic in the clear between the gateways: $(head -3 <<<"$clear")"
grep -q 'UDP-encap' <<<"$wire" || ikm_fail "no ESP in UDP between the gateways"
ikm_stop_daemon "$ike_pid"
ikm_pass
