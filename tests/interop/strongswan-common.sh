# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The setup shared by the strongSwan interop tests: two nodes on a LAN, ikemesh (kernel-tun,
# X.509 from an NSS database) in `ike` at 10.15.1.1 and strongSwan charon (kernel-libipsec) in
# `swan` at 10.15.1.2, both with certificates from one CA (tests/lib/make-mesh-certs.sh), and a
# capture of the LAN side of `ike` in $IKM_TMP/wire.pcap (kept with the logs on failure).
# Source it after `source "$IKEMESH_TEST_LIB"` and `ikm_init NAME`.
#
# Then: interop_start_ikemesh [KEY=VALUE...] (extra conn keys), interop_start_strongswan
# [IKE_PROPOSALS ESP_PROPOSALS [SWANCTL_EXTRA]], and the helpers below.

# shellcheck source=tests/interop/interop-common.sh
source "$IKEMESH_SOURCE/tests/interop/interop-common.sh"
# shellcheck source=tests/lib/strongswan.sh
source "$IKEMESH_SOURCE/tests/lib/strongswan.sh"

reason=$(ikm_strongswan_missing)
[[ -z $reason ]] || ikm_fail "$reason: run scripts/install-deps.sh"
for tool in openssl certutil pk12util; do
  command -v "$tool" >/dev/null || ikm_fail "$tool is missing: run scripts/install-deps.sh"
done

swan_addr=10.15.1.2
interop_nodes swan "$swan_addr"
swan_ns=$(ikm_nsname swan)
run_swan() { ip netns exec "$swan_ns" "$@"; }

# interop_make_certs DIR [MAKE-MESH-CERTS ENVIRONMENT...]: see ikm_strongswan_certs.
interop_make_certs() { ikm_strongswan_certs "$@"; }
certs="$IKM_TMP/certs"
interop_make_certs "$certs" >&2
swan_id="C=US, ST=NC, O=Example Organization, CN=swan"
ike_id="C=US, ST=NC, O=Example Organization, CN=ike"

# interop_start_ikemesh [KEY=VALUE...]: ikemeshd in `ike` with its certificate from the CA
# in an NSS database; conn `private` gets the extra keys. Sets ike_pid, ike_ctl.
interop_start_ikemesh() {
  local nss="sql:$IKM_TMP/ike-nss"
  if [[ ! -d $IKM_TMP/ike-nss ]]; then
    "$IKM_BIN/ikemesh" initnss --nssdir "$nss" >/dev/null
    "$IKM_BIN/ikemesh" import "$certs/ike.p12" --password-file "$certs/p12-password" --nssdir "$nss" >/dev/null
  fi
  interop_ikemesh_start $'\tauthby=rsasig\n\tleftcert=ike\n\tleftid=%fromcert\n\trightid=%fromcert' \
    --nssdir "$nss" -- "$@"
}

# interop_stop_both: ikemeshd (which must exit 0) and charon stop, for a fresh start of both.
interop_stop_both() {
  ikm_stop_daemon "$ike_pid"
  kill -TERM "$swan_pid"
  wait "$swan_pid" || true
}

# interop_start_strongswan [IKE_PROPOSALS [ESP_PROPOSALS [CONN_EXTRA [CHILD_EXTRA [CACERT]]]]]:
# charon in `swan` with conn `ike` towards ikemesh (tunnel mode, host to host). The ESP
# proposals name a DH group: ikemesh's CREATE_CHILD_SA (rekey or new CHILD SA) carries a KE
# (pfs, as Libreswan's default), which strongSwan refuses with NO_PROPOSAL_CHOSEN otherwise.
# Sets swan_pid, swan_dir.
interop_start_strongswan() {
  local ike_proposals=${1:-aes128gcm16-prfsha256-ecp256} esp_proposals=${2:-aes128gcm16-ecp256}
  local conn_extra=${3:-} child_extra=${4:-} cacert=${5:-$certs/ca.pem}
  ikm_strongswan_start swan "$swan_ns"
  swan_pid=$IKM_SS_PID
  swan_dir=$IKM_SS_DIR
  cp "$certs/swan-cert.pem" "$swan_dir/swanctl/x509/"
  cp "$certs/swan-key.pem" "$swan_dir/swanctl/private/"
  cat >"$swan_dir/swanctl/swanctl.conf" <<EOF
connections {
  ike {
    version = 2
    local_addrs = $swan_addr
    remote_addrs = $ike_addr
    proposals = $ike_proposals
    $conn_extra
    local {
      auth = pubkey
      certs = swan-cert.pem
      id = "$swan_id"
    }
    remote {
      auth = pubkey
      cacerts = $cacert
      id = %any
    }
    children {
      ike {
        mode = tunnel
        esp_proposals = $esp_proposals
        local_ts = dynamic
        remote_ts = dynamic
        $child_extra
      }
    }
  }
}
EOF
  swan_ctl --load-all >"$swan_dir/load.log" 2>&1 ||
    ikm_fail "swanctl --load-all: $(cat "$swan_dir/load.log")"
}
swan_ctl() { ikm_swanctl "$swan_dir" "$swan_ns" "$@"; }

# ike_child_count: CHILD SAs (ESP tunnels) ikemesh has with strongSwan.
ike_child_count() { ike_cli trafficstatus | grep -c "\.\.\.$swan_addr, type=ESP" || true; }
# swan_sas: strongSwan's SAs as `swanctl --list-sas` shows them.
swan_sas() { swan_ctl --list-sas; }
# swan_installed_count: strongSwan's installed CHILD SAs.
swan_installed_count() { swan_ctl --list-sas | grep -c "INSTALLED" || true; }

# expect_tunnel WHAT: the tunnel is up on both sides, ikemesh shows strongSwan's identity.
expect_tunnel() {
  local what=$1 traffic sas
  traffic=$(ike_cli trafficstatus)
  echo "$traffic" >&2
  ikm_expect_contains "$traffic" "...$swan_addr, type=ESP" "$what: ikemesh trafficstatus"
  ikm_expect_contains "$traffic" "id='$swan_id'" "$what: ikemesh trafficstatus"
  sas=$(swan_sas)
  echo "$sas" >&2
  ikm_expect_contains "$sas" "ESTABLISHED" "$what: strongSwan's IKE SA"
  ikm_expect_contains "$sas" "INSTALLED, TUNNEL" "$what: strongSwan's CHILD SA"
  ikm_expect_contains "$sas" "remote '$ike_id' @ ${ike_addr}[4500]" "$what: strongSwan's view of ikemesh"
}

# expect_transfer MEGABYTES FROM: a TCP transfer of random octets through the tunnel, from
# FROM (ike or swan) to the other side, arrives intact (sha256 of both ends).
expect_transfer() {
  local megabytes=$1 from=$2 port=5001 sent received to_ns to_addr from_ns
  if [[ $from == ike ]]; then
    from_ns=$ike_ns to_ns=$swan_ns to_addr=$swan_addr
  else
    from_ns=$swan_ns to_ns=$ike_ns to_addr=$ike_addr
  fi
  head -c "$((megabytes * 1048576))" /dev/urandom >"$IKM_TMP/payload"
  sent=$(sha256sum <"$IKM_TMP/payload" | cut -d' ' -f1)
  ip netns exec "$to_ns" socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$IKM_TMP/received,creat,trunc" &
  local listener=$!
  ikm_track "$listener"
  ikm_wait_for 10 "the TCP listener" bash -c "ip netns exec $to_ns ss -ltn | grep -q ':$port '"
  ip netns exec "$from_ns" timeout 90 socat -u "OPEN:$IKM_TMP/payload" "TCP:$to_addr:$port" ||
    ikm_fail "the TCP transfer through the tunnel failed"
  wait "$listener" || ikm_fail "the TCP listener failed"
  received=$(sha256sum <"$IKM_TMP/received" | cut -d' ' -f1)
  [[ $sent == "$received" ]] || ikm_fail "the transfer arrived changed: sha256 $sent sent, $received received"
  rm -f "$IKM_TMP/payload" "$IKM_TMP/received"
  ikm_log "$megabytes MB from $from through the tunnel, sha256 $sent on both ends"
}

# ike_counter NAME: a counter of ikemesh's tunnel with strongSwan (inBytes, outBytes).
ike_counter() { ike_cli trafficstatus | grep "\.\.\.$swan_addr, type=ESP" | grep -o "$1=[0-9]*" | head -1 | cut -d= -f2; }
# swan_counter in|out: bytes of strongSwan's installed CHILD SA.
swan_counter() { swan_sas | awk -v d="$1" '$1 == d { print $3; exit }'; }

# expect_counters_match: five pings of 1028-octet IP packets both ways through the tunnel move
# each side's counters by exactly what they carried (5 x 1028 octets in, 5 x 1028 out),
# and strongSwan counts the same. (Counters are read when no other traffic flows: a bulk
# transfer's lost segments count on the sender only.)
expect_counters_match() {
  local before after name expected=$((5 * 1028))
  before="$(ike_counter inBytes) $(ike_counter outBytes) $(swan_counter in) $(swan_counter out)"
  run_ike ping -c 5 -i 0.1 -s 1000 -W 5 "$swan_addr" >/dev/null || ikm_fail "pings for the counters"
  after="$(ike_counter inBytes) $(ike_counter outBytes) $(swan_counter in) $(swan_counter out)"
  ikm_log "bytes (ikemesh in, out; strongSwan in, out): before $before, after $after"
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  ((${#a[@]} == 4 && ${#b[@]} == 4)) || ikm_fail "a counter is missing: before '$before', after '$after'"
  local i
  for i in 0 1 2 3; do
    name=$(echo "ikemesh-in ikemesh-out strongSwan-in strongSwan-out" | cut -d' ' -f$((i + 1)))
    ((a[i] - b[i] == expected)) || ikm_fail "$name counted $((a[i] - b[i])) octets for the pings, expected $expected"
  done
}

# expect_esp_in_udp: the capture shows ESP in UDP on port 4500 both ways (libipsec fakes a NAT).
expect_esp_in_udp() {
  local esp
  esp=$(tcpdump -n -r "$IKM_TMP/wire.pcap" 'udp port 4500 and udp[8:4] != 0' 2>/dev/null | wc -l)
  ((esp > 0)) || ikm_fail "no ESP in UDP on port 4500 in the capture"
  ikm_log "$esp ESP-in-UDP packets on port 4500 captured"
}
