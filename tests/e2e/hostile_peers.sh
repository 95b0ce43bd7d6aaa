#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile peers against a real ikemesh daemon (kernel-tun, X.509) at 10.15.1.1, with strongSwan
# charon at 10.15.1.2 as the peer and tests/lib/ike-hostile.py as the forger. Each case: refused
# or bounded, logged with the peer and the reason, nothing installed, and the counts printed.
# (a) a peer whose valid certificate from the mesh CA is not the identity the policy expects
#     (rightid= of another node); the ID-in-certificate check (a node claiming another node's
#     IDi with its own certificate) is the unit test X509EngineTest.NodeClaimingAnotherNodesId...
# (b) a captured IKE_AUTH replayed: from the same and another source port after the IKE SA is
#     up, and into a new half-open IKE SA;
# (c) weak-only proposals (3DES, MODP-1024, HMAC-SHA1-96) both ways;
# (d) a flood of forged INFORMATIONAL requests with the IKE SA's SPIs while pings cross the
#     tunnel.
source "$IKEMESH_TEST_LIB"
ikm_init hostile-peers
source "$IKEMESH_SOURCE/tests/interop/strongswan-common.sh"
hostile() { run_swan python3 "$IKEMESH_SOURCE/tests/lib/ike-hostile.py" "$@"; }
counter() { ike_cli status --json | jq "$1"; }
rejected() { ike_cli status --json | jq "(.ike.rejectedByField[\"$1\"] // 0)"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
no_tunnel() {
  [[ $(ike_child_count) == 0 ]] || ikm_fail "$1: ikemesh has a tunnel with the peer: $(ike_cli trafficstatus)"
  [[ $(counter .ike.childSasInstalled) == 0 ]] || ikm_fail "$1: ikemesh installed a CHILD SA in its dataplane"
}
log=$IKM_TMP/ike/daemon.log

# weak_offer_refused WHAT IKE ESP SHOWN EXPECTED: fresh ikemesh and strongSwan, strongSwan with
# only the proposals IKE and ESP, initiates: it gets NO_PROPOSAL_CHOSEN and no tunnel; ikemesh
# logs the refusal (the lines with SHOWN are printed) in the words EXPECTED, which name the
# peer's weak transforms, and installs nothing.
weak_offer_refused() {
  local what=$1 ike=$2 esp=$3 shown=$4 expected=$5
  interop_start_ikemesh
  interop_start_strongswan "$ike" "$esp"
  swan_ctl --initiate --child ike --timeout 10 >"$swan_dir/initiate.log" 2>&1 &&
    ikm_fail "$what: strongSwan got a tunnel"
  grep -h "NO_PROPOSAL_CHOSEN" "$swan_dir/charon.log" >&2 || ikm_fail "$what: strongSwan did not receive NO_PROPOSAL_CHOSEN"
  grep -h "$shown" "$log" >&2 || ikm_fail "$what: ikemesh did not log the refusal"
  grep -qF "$expected" "$log" || ikm_fail "$what: the refusal does not read '$expected'"
  no_tunnel "$what"
}

ikm_log "(c) strongSwan proposes only 3DES / HMAC-SHA1-96 / MODP-1024"
weak_offer_refused 3DES 3des-sha1-modp1024 3des-sha1-modp1024 "rejected: SA:" \
  "message from $swan_addr:500 rejected: SA: proposal 1 (3DES, HMAC-SHA1-96, PRF-HMAC-SHA1, MODP-1024) matches none of ours"
interop_stop_both

ikm_log "(c) strongSwan proposes only AES-CBC with HMAC-SHA1-96 and PRF-HMAC-SHA1 over MODP-2048"
weak_offer_refused SHA-1 aes128-sha1-modp2048 aes128-sha1-modp2048 "rejected: SA:" \
  "rejected: SA: proposal 1 (AES-CBC_128, HMAC-SHA1-96, PRF-HMAC-SHA1, MODP-2048)"
interop_stop_both

ikm_log "(c) a strong IKE SA, but ESP proposals of 3DES and HMAC-SHA1-96 only"
weak_offer_refused "weak ESP" aes128gcm16-prfsha256-ecp256 3des-sha1-ecp256,aes128-sha1-ecp256 "no CHILD SA" \
  "no CHILD SA: NO_PROPOSAL_CHOSEN: proposal 1 (3DES, HMAC-SHA1-96, NO-ESN) matches none of ours"
ikm_log "(c) a peer that accepts only weak algorithms: ikemesh's own offer is refused, the failure shunt applies"
run_ike ping -c 1 -W 3 "$swan_addr" >/dev/null 2>&1 && ikm_fail "a ping crossed to the weak-only peer"
failing() { ike_cli shuntstatus | grep -q "$ike_addr/32 -0-> $swan_addr/32 => %drop"; }
ikm_wait_for 20 "the failure shunt for the weak-only peer" failing
ike_cli shuntstatus >&2
no_tunnel "weak-only responder"
interop_stop_both

ikm_log "(a) a valid certificate of the mesh CA, but not the peer the policy expects (rightid= of another node)"
other_id="C=US, ST=NC, O=Example Organization, CN=n2"
# interop_start_ikemesh's rightid=%fromcert replaced by the other node's identity.
interop_ikemesh_start $'\tauthby=rsasig\n\tleftcert=ike\n\tleftid=%fromcert\n\trightid="'"$other_id"'"' \
  --nssdir "sql:$IKM_TMP/ike-nss" --
interop_start_strongswan
swan_ctl --initiate --child ike --timeout 10 >"$swan_dir/initiate.log" 2>&1 && ikm_fail "strongSwan got a tunnel as another node"
grep -h "rejected: AUTH" "$log" >&2 || ikm_fail "ikemesh did not log the refusal"
grep -q "message from $swan_addr:4500 rejected: AUTH: ID mismatch: rightid='$other_id' but the peer's certificate is '$swan_id'" "$log" ||
  ikm_fail "the refusal does not name the peer and the mismatch"
grep -h "AUTHENTICATION_FAILED" "$swan_dir/charon.log" >&2 || ikm_fail "strongSwan was not told AUTHENTICATION_FAILED"
no_tunnel "ID mismatch (responder)"
ikm_log "(a) ikemesh initiates to the same peer: refused, failure shunt"
run_ike ping -c 1 -W 3 "$swan_addr" >/dev/null 2>&1 && ikm_fail "a ping crossed to the wrong identity"
ikm_wait_for 20 "the failure shunt for the wrong identity" failing
no_tunnel "ID mismatch (initiator)"
[[ $(counter .ike.ikeSasEstablished) == 0 ]] || ikm_fail "ikemesh established an IKE SA with the wrong identity"
interop_stop_both

ikm_log "(b) a tunnel with strongSwan, then its IKE_AUTH request replayed"
interop_start_ikemesh
interop_start_strongswan
swan_ctl --initiate --child ike --timeout 20 >"$swan_dir/initiate.log" 2>&1 ||
  ikm_fail "swanctl --initiate: $(tail -3 "$swan_dir/initiate.log")"
expect_tunnel "before the replays"
ikm_capture_wait wire 6
established=$(counter .ike.ikeSasEstablished)
installed=$(counter .ike.childSasInstalled)
cached_before=$(counter .ike.responsesFromCache)
hostile replay "$IKM_TMP/wire.pcap" "$ike_addr" --count 50 --sport 4500 >&2
hostile replay "$IKM_TMP/wire.pcap" "$ike_addr" --count 50 --sport 40000 >&2
sleep 1
cached=$(($(counter .ike.responsesFromCache) - cached_before))
replays_refused=$(rejected "message ID")
((cached <= 16)) || ikm_fail "$cached responses sent again for 100 replayed IKE_AUTH requests"
((replays_refused >= 84)) || ikm_fail "only $replays_refused replays refused by message ID"
grep -m1 "a replay, not answered" "$log" >&2 || ikm_fail "the refused replays were not logged"
replay_lines=$(grep -c "a replay, not answered" "$log")
sk_before=$(rejected "SK payload")
hostile halfopen "$IKM_TMP/wire.pcap" "$ike_addr" --count 5 >&2
sleep 1
halfopen_refused=$(($(rejected "SK payload") - sk_before))
((halfopen_refused == 5)) || ikm_fail "$halfopen_refused of 5 IKE_AUTH replayed into a new half-open IKE SA failed their integrity check"
[[ $(counter .ike.ikeSasEstablished) == "$established" ]] || ikm_fail "a replay established an IKE SA"
[[ $(counter .ike.childSasInstalled) == "$installed" ]] || ikm_fail "a replay installed a CHILD SA"
[[ $(ike_child_count) == 1 ]] || ikm_fail "not one tunnel with strongSwan after the replays"
run_ike ping -c 3 -i 0.2 -W 5 "$swan_addr" >/dev/null || ikm_fail "the tunnel broke after the replays"

ikm_log "(d) 100,000 forged INFORMATIONAL requests with the IKE SA's SPIs over 5 s, pings through the tunnel meanwhile"
rss_before=$(rss "$ike_pid")
lines_before=$(wc -l <"$log")
rejected_before=$(counter .ike.rejected)
sent_before=$(counter .ike.datagramsSent)
received_before=$(counter .ike.datagramsReceived)
run_ike ping -c 100 -i 0.05 -W 2 "$swan_addr" >"$IKM_TMP/flood-ping.txt" 2>&1 &
ping_pid=$!
ikm_track "$ping_pid"
hostile informational "$IKM_TMP/wire.pcap" "$ike_addr" --count 100000 --duration 5 --dport 4500 >"$IKM_TMP/flood.txt" 2>&1 ||
  ikm_fail "the forger failed: $(cat "$IKM_TMP/flood.txt")"
wait "$ping_pid" || true
sleep 1
cat "$IKM_TMP/flood.txt" >&2
forged=$(grep -o 'sent [0-9]*' "$IKM_TMP/flood.txt" | cut -d' ' -f2)
refused=$(($(counter .ike.rejected) - rejected_before))
answered=$(($(counter .ike.datagramsSent) - sent_before))
reached=$(($(counter .ike.datagramsReceived) - received_before))
rss_after=$(rss "$ike_pid")
flood_lines=$(($(wc -l <"$log") - lines_before))
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$IKM_TMP/flood-ping.txt")
printf '%-58s %s\n' \
  "replayed IKE_AUTH (ports 4500 and 40000)" 100 \
  "  answered again from the cache (limit 16)" "$cached" \
  "  refused by message ID (log lines)" "$replays_refused ($replay_lines)" \
  "old IKE_AUTH into a new half-open IKE SA: integrity failures" "$halfopen_refused of 5" \
  "forged INFORMATIONAL sent" "$forged" \
  "  reached ikemesh (the rest overflowed the socket buffer)" "$reached" \
  "  refused by ikemesh" "$refused" \
  "  refusals by field since the start (replays included)" "$(ike_cli status --json | jq -c .ike.rejectedByField)" \
  "  datagrams ikemesh sent meanwhile" "$answered" \
  "  log lines written during the flood" "$flood_lines" \
  "  RSS before / after (KiB)" "$rss_before / $rss_after" \
  "  pings through the tunnel during the flood" "$received of 100" >&2
((reached >= forged / 10)) || ikm_fail "only $reached of $forged forged requests reached ikemesh: no flood"
# What reached the engine and was not refused: at most a few genuine messages (liveness).
((refused >= reached - 5)) || ikm_fail "only $refused of the $reached forged requests that reached ikemesh refused"
((answered <= 5)) || ikm_fail "ikemesh sent $answered datagrams in answer to forged requests"
((flood_lines <= 100)) || ikm_fail "$flood_lines log lines for the flood: the log grows with it"
((rss_after - rss_before < 16384)) || ikm_fail "RSS grew by $((rss_after - rss_before)) KiB under the flood"
((received >= 95)) || ikm_fail "only $received of 100 pings crossed the tunnel during the flood"
[[ $(ike_child_count) == 1 ]] || ikm_fail "the tunnel is gone after the flood"
run_ike ping -c 3 -i 0.2 -W 5 "$swan_addr" >/dev/null || ikm_fail "the tunnel broke after the flood"
interop_stop_both
ikm_pass
