#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In the ESP-capable guest (run-in-vm.sh): ikemesh on kernel-xfrm (n1, the guide's certificate
# mesh.conf in transport mode) and strongSwan's charon with kernel-netlink (n2: the kernel's ESP
# too, the same CA, a trap for n1). strongSwan has no NULL authentication (RFC 7619), so both
# sides use certificates. ikemesh's trap opens the tunnel; strongSwan rekeys the CHILD_SA
# and ikemesh installs the new states and removes the old; strongSwan deletes the IKE SA and
# ikemesh removes the states; strongSwan's trap opens the tunnel again, ikemesh responding.
if [[ -z ${IKEMESH_IN_VM:-} ]]; then
  # n1's NSS database by ikemesh's own commands; strongSwan reads PEM files from the folders
  # beside its swanctl.conf.
  make_certs() {
    local certs=$1
    local p12=(-passin "file:$certs/p12-password")
    bash "${IKEMESH_SOURCE:?}/tests/lib/make-mesh-certs.sh" "$certs" n1 n2
    "$IKEMESH_BUILD/bin/ikemesh" initnss --nssdir "sql:$certs/n1-nss"
    "$IKEMESH_BUILD/bin/ikemesh" import "$certs/n1.p12" --password-file "$certs/p12-password" \
      --nssdir "sql:$certs/n1-nss"
    mkdir -p "$certs/strongswan/"{x509,x509ca,pkcs8}
    openssl pkcs12 -in "$certs/n2.p12" "${p12[@]}" -nokeys -clcerts -out "$certs/strongswan/x509/n2.crt"
    openssl pkcs12 -in "$certs/n2.p12" "${p12[@]}" -nokeys -cacerts -out "$certs/strongswan/x509ca/ca.crt"
    openssl pkcs12 -in "$certs/n2.p12" "${p12[@]}" -nocerts -nodes -out "$certs/strongswan/pkcs8/n2.key"
  }
  source "${IKEMESH_SOURCE:?}/tests/vm/vm-certs.sh"
  ikm_vm_run_with_certs make_certs "$0" "$@"
fi
source "$IKEMESH_TEST_LIB"
ikm_init strongswan-xfrm
charon=/usr/lib/ipsec/charon
[[ -x $charon ]] || ikm_fail "$charon is missing (strongswan-charon)"
source "$IKEMESH_SOURCE/tests/vm/vm-lib.sh"
trap 'ikm_vm_dump_on_failure n1; ikm_cleanup' EXIT

certs="$IKM_TMP/certs"
cp -r "${IKEMESH_VM_CERTS:?}" "$certs"
mkdir -p "$IKM_TMP/etc" "$IKM_TMP/plugins"
cp -r "$IKEMESH_SOURCE/tests/data/x509-mesh/policies" "$IKM_TMP/etc/"
sed "s/nodeXXXX/n1/" "$IKEMESH_SOURCE/tests/data/x509-mesh/mesh.conf.in" >"$IKM_TMP/etc/mesh.conf"
nss="sql:$certs/n1-nss"
ln -s "$IKEMESH_BUILD/plugins/ikemesh-auth-x509.so" "$IKEMESH_BUILD/plugins/ikemesh-kernel-xfrm.so" "$IKM_TMP/plugins/"
ss=$IKM_TMP/strongswan
mv "$certs/strongswan" "$ss"
[[ -s $ss/x509/n2.crt && -s $ss/x509ca/ca.crt && -s $ss/pkcs8/n2.key ]] || ikm_fail "n2's PEM files are missing"
cat >"$ss/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints revocation kdf hmac sha2 socket-default kernel-netlink updown vici
  filelog {
    test {
      path = $ss/charon.log
      time_format = %T
      default = 1
      ike = 2
      knl = 2
      flush_line = yes
    }
  }
  syslog {
  }
  plugins {
    vici {
      socket = unix://$ss/charon.vici
    }
  }
}
EOF
cat >"$ss/swanctl.conf" <<EOF
connections {
  mesh {
    version = 2
    local_addrs = 10.15.1.2
    remote_addrs = 10.15.1.1
    proposals = aes256gcm16-prfsha512-curve25519
    local {
      auth = pubkey
      certs = n2.crt
    }
    remote {
      auth = pubkey
      id = "C=US, ST=NC, O=Example Organization, CN=n1"
    }
    children {
      mesh {
        mode = transport
        esp_proposals = aes256gcm16-esn-noesn
        local_ts = dynamic
        remote_ts = dynamic
        start_action = trap
      }
    }
  }
}
EOF

ikm_lan
ikm_node n1 10.15.1.1/16
ikm_node n2 10.15.1.2/16
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
swanctl_n2() { run n2 swanctl "$1" --uri "unix://$ss/charon.vici" "${@:2}" 2>>"$ss/swanctl.err"; }
spis() { run n1 ip xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' '; }

ikm_start_daemon n1 "$(ikm_nsname n1)" -- --config "$IKM_TMP/etc/mesh.conf" --nssdir "$nss" --plugindir "$IKM_TMP/plugins"
pid_n1=$IKM_PID
ikm_log "ikemeshd started"
STRONGSWAN_CONF="$ss/strongswan.conf" ip netns exec "$(ikm_nsname n2)" "$charon" >"$ss/stdout.log" 2>&1 &
ikm_track $!
ikm_wait_for 20 "charon's vici socket" swanctl_n2 --stats
swanctl_n2 --load-all --file "$ss/swanctl.conf" >"$ss/load.log" 2>&1 || ikm_fail "swanctl --load-all: $(cat "$ss/load.log" "$ss/swanctl.err")"

ikm_log "ikemesh's trap opens the tunnel to strongSwan"
run n1 ping -c 1 -w 10 10.15.1.2 >&2 || ikm_fail "n1 (ikemesh) -> n2 (strongSwan): no reply"
run n2 ping -c 3 -i 0.2 -W 5 10.15.1.1 >&2 || ikm_fail "n2 -> n1 in the tunnel"
sas=$(swanctl_n2 --list-sas)
echo "$sas" >&2
grep -q "mesh: #[0-9]*, reqid [0-9]*, INSTALLED, TRANSPORT, ESP:AES_GCM_16-256" <<<"$sas" || ikm_fail "strongSwan's CHILD_SA: $sas"
grep -qE "out +[0-9a-f]+, +[1-9][0-9]* bytes, +[1-9][0-9]* packets" <<<"$sas" || ikm_fail "strongSwan's counters: $sas"
before=$(spis)
[[ $(wc -w <<<"$before") == 2 ]] || ikm_fail "n1 should hold 2 states: $before"
"$IKM_BIN/ikemesh" --ctl "$IKM_CTL" trafficstatus | grep -q '\.\.\.10\.15\.1\.2, type=ESP' || ikm_fail "ikemesh trafficstatus lacks the tunnel"

ikm_log "strongSwan rekeys the CHILD_SA: ikemesh installs the new states, removes the old"
swanctl_n2 --rekey --child mesh >&2 || ikm_fail "swanctl --rekey"
rekeyed() { after=$(spis); [[ $(wc -w <<<"$after") == 2 ]] && ! grep -q "${before%% *}" <<<"$after"; }
ikm_wait_for 15 "n1's states replaced by the rekeyed ones" rekeyed
run n1 ping -c 3 -i 0.2 -W 5 10.15.1.2 >&2 || ikm_fail "n1 -> n2 after the rekey"
ikm_log "states before $before, after $(spis)"

ikm_log "strongSwan deletes the IKE SA: ikemesh removes the states"
swanctl_n2 --terminate --ike mesh >&2 || ikm_fail "swanctl --terminate"
gone() { [[ -z $(spis) ]]; }
ikm_wait_for 15 "n1's states removed" gone

ikm_log "strongSwan's trap opens the tunnel again, ikemesh responding"
run n2 ping -c 1 -w 10 10.15.1.1 >&2 || ikm_fail "n2 (strongSwan) -> n1 (ikemesh): no reply"
run n1 ping -c 3 -i 0.2 -W 5 10.15.1.2 >&2 || ikm_fail "n1 -> n2 in strongSwan's tunnel"
[[ $(wc -w <<<"$(spis)") == 2 ]] || ikm_fail "n1 should hold 2 states: $(spis)"

ikm_stop_daemon "$pid_n1"
[[ -z $(run n1 ip xfrm state; run n1 ip xfrm policy) ]] || ikm_fail "left on n1 after stop: $(run n1 ip xfrm policy)"
ikm_pass
