#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Algorithm variants between ikemesh and strongSwan charon: for each pair of proposals below
# (ikemesh's ike=/esp= in Libreswan syntax, strongSwan's in its own), strongSwan restarts with
# only that proposal, ikemesh initiates on demand (or strongSwan does, every other variant),
# and pings and a TCP transfer pass; both sides name the same algorithms. Also:
# - INVALID_KE_PAYLOAD round trip (RFC 7296 §1.2): ikemesh proposes curve25519 first, the
#   strongSwan side accepts only ECP-256 and asks for it; ikemesh retries with it;
# - RSA-2048 certificates (the other variants use ECDSA P-256), over a 1280-octet link so that
#   IKE_AUTH is fragmented (RFC 7383) both ways.
source "$IKEMESH_TEST_LIB"
ikm_init interop-strongswan-proposals
source "$IKEMESH_SOURCE/tests/interop/strongswan-common.sh"

# variant N IKE ESP SWAN_IKE SWAN_ESP EXPECT_IKE EXPECT_ESP: one run; EXPECT_* are what
# swanctl --list-sas must show (strongSwan's names).
variant() {
  local n=$1 ike=$2 esp=$3 swan_ike=$4 swan_esp=$5 expect_ike=$6 expect_esp=$7 sas
  ikm_log "variant $n: ike=$ike esp=$esp / strongSwan $swan_ike, $swan_esp"
  interop_start_ikemesh "ike=$ike" "esp=$esp"
  interop_start_strongswan "$swan_ike" "$swan_esp"
  if ((n % 2)); then
    run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "variant $n: the first ping got no answer"
  else
    swan_ctl --initiate --child ike --timeout 20 >"$swan_dir/initiate.log" 2>&1 ||
      ikm_fail "variant $n: swanctl --initiate: $(tail -3 "$swan_dir/initiate.log")"
  fi
  expect_tunnel "variant $n"
  sas=$(swan_sas)
  ikm_expect_contains "$sas" "$expect_ike" "variant $n: strongSwan's IKE SA"
  ikm_expect_contains "$sas" "ESP:$expect_esp" "variant $n: strongSwan's CHILD SA"
  ike_cli showstates >&2
  expect_transfer 5 ike
  expect_counters_match
  interop_stop_both
}

variant 1 aes_gcm128-sha2_256-dh19 aes_gcm128 aes128gcm16-prfsha256-ecp256 aes128gcm16-ecp256 \
  AES_GCM_16-128/PRF_HMAC_SHA2_256/ECP_256 AES_GCM_16-128
variant 2 aes_gcm256-sha2_512-dh20 aes_gcm256 aes256gcm16-prfsha512-ecp384 aes256gcm16-ecp384 \
  AES_GCM_16-256/PRF_HMAC_SHA2_512/ECP_384 AES_GCM_16-256
variant 3 aes256-sha2_256-modp2048 aes256-sha2_256 aes256-sha256-modp2048 aes256-sha256-modp2048 \
  AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC-256/HMAC_SHA2_256_128
variant 4 aes128-sha2_512-curve25519 aes128-sha2_512 aes128-sha512-curve25519 aes128-sha512-curve25519 \
  AES_CBC-128/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/CURVE_25519 AES_CBC-128/HMAC_SHA2_512_256

ikm_log "INVALID_KE_PAYLOAD: ikemesh offers curve25519 first, strongSwan insists on ECP-256"
interop_start_ikemesh "ike=aes_gcm128-sha2_256-dh31,aes_gcm128-sha2_256-dh19"
interop_start_strongswan aes128gcm16-prfsha256-ecp256 aes128gcm16-ecp256
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "no tunnel after INVALID_KE_PAYLOAD"
expect_tunnel "after INVALID_KE_PAYLOAD"
grep -q 'DH group CURVE_25519 unacceptable, requesting ECP_256' "$swan_dir/charon.log" ||
  ikm_fail "strongSwan did not ask for ECP-256"
grep -q 'responder wants ECP-256; retrying' "$IKM_TMP/ike/daemon.log" || ikm_fail "ikemesh did not retry"
interop_stop_both

ikm_log "RSA-2048 certificates, IKE_AUTH fragmented both ways on a 1280-octet link"
for dev in "$ike_ns" "$swan_ns"; do ip -n "$dev" link set eth0 mtu 1280; done
ip -n "$(ikm_nsname lan)" link set v-ike mtu 1280
ip -n "$(ikm_nsname lan)" link set v-swan mtu 1280
rm -rf "$IKM_TMP/ike-nss" "$certs"
interop_make_certs "$certs" MESH_KEY=rsa:2048 >&2
interop_start_ikemesh fragmentation=force
echo 'fragment_size = 1200' >"$IKM_TMP/swan/extra.conf"
interop_start_strongswan aes128gcm16-prfsha256-ecp256 aes128gcm16-ecp256 "fragmentation = force"
run_ike ping -c 1 -W 10 "$swan_addr" >/dev/null || ikm_fail "no tunnel with RSA certificates"
expect_tunnel "RSA certificates"
grep -E 'IKE_AUTH (request|response) 1 \[ EF' "$swan_dir/charon.log" >&2 || true
grep -q 'parsed IKE_AUTH request 1 \[ EF' "$swan_dir/charon.log" || ikm_fail "ikemesh's IKE_AUTH was not fragmented"
grep -q 'generating IKE_AUTH response 1 \[ EF' "$swan_dir/charon.log" ||
  grep -q 'splitting IKE message' "$swan_dir/charon.log" || ikm_fail "strongSwan's IKE_AUTH was not fragmented"
fragments=$(ike_cli status --json | jq .ike.fragmentsSent)
((fragments >= 2)) || ikm_fail "ikemesh sent $fragments fragments"
grep -q 'RSA_EMSA_PKCS1\|RSA_EMSA_PSS\|with RSA' "$swan_dir/charon.log" || ikm_fail "strongSwan did not verify an RSA signature"
expect_transfer 5 swan
ikm_stop_daemon "$ike_pid"
ikm_pass
