#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ikemesh <-> Libreswan 4.10 (pluto from the unpacked Debian package) with X.509 certificates
# from one CA (RSA-2048, made by make-mesh-certs.sh; each side's NSS database holds its own
# certificate and key and the CA as trusted), as in the mesh guide. On this host's kernel (no
# ESP) Libreswan cannot install a CHILD SA, so this is about IKE: IKE_SA_INIT and IKE_AUTH
# complete both ways, each side names the other by its certificate's subject, and the CHILD
# SA that Libreswan refuses (TS_UNACCEPTABLE) is handled by ikemesh as in libreswan_null.sh.
source "$IKEMESH_TEST_LIB"
ikm_init interop-libreswan-x509
lsw_auth_lines=$'\tleftcert=lsw\n\tleftid=%fromcert\n\trightid=%fromcert\n\tauthby=rsasig'
source "$IKEMESH_SOURCE/tests/interop/libreswan-common.sh"

ikm_log "certificates for ikemesh (ike) and Libreswan (lsw) from one CA"
MESH_KEY=rsa:2048 bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$IKM_TMP/certs" ike lsw >"$IKM_TMP/certs.log" 2>&1 ||
  { cat "$IKM_TMP/certs.log" >&2; ikm_fail "make-mesh-certs.sh"; }
password="$IKM_TMP/certs/p12-password"
ike_nss="sql:$IKM_TMP/ike-nss"
"$IKM_BIN/ikemesh" initnss --nssdir "$ike_nss" >&2
"$IKM_BIN/ikemesh" import "$IKM_TMP/certs/ike.p12" --password-file "$password" --nssdir "$ike_nss" >&2 ||
  ikm_fail "ikemesh import"
# Libreswan's own procedure (ipsec initnss; ipsec import lsw.p12): pk12util into its database,
# then the CA trusted for peer certificates.
mkdir -p "$lsw_dir/nss"
certutil -N -d "sql:$lsw_dir/nss" --empty-password
pk12util -i "$IKM_TMP/certs/lsw.p12" -d "sql:$lsw_dir/nss" -w "$password" >&2 || ikm_fail "pk12util (Libreswan)"
ca=$(certutil -L -d "sql:$lsw_dir/nss" | awk 'NR > 4 && $1 != "lsw" {print $1; exit}')
certutil -M -n "$ca" -t "CT,," -d "sql:$lsw_dir/nss" || ikm_fail "certutil -M $ca"
certutil -L -d "sql:$lsw_dir/nss" >&2

x509_lines=$'\tauthby=rsasig\n\tleftcert=ike\n\tleftid=%fromcert\n\trightid=%fromcert'
lsw_subject="C=US, ST=NC, O=Example Organization, CN=lsw"

ikm_log "1. ikemesh initiates: IKE SA with Libreswan's certificate identity on both sides"
interop_ikemesh_start "$x509_lines" --nssdir "$ike_nss" -- dpddelay=2s retransmit-timeout=5s
interop_start_libreswan
run_ike ping -c 1 -W 2 "$lsw_addr" >&2 && ikm_fail "a ping passed without a CHILD SA"
failing() { ike_cli shuntstatus | grep -q "$lsw_addr/32 => %drop    oe-failing"; }
ikm_wait_for 15 "ikemesh's failure shunt" failing
ike_cli showstates >&2
lsw_whack --showstates >&2
[[ $(ike_sas_with_lsw) == 1 ]] || ikm_fail "ikemesh has not one IKE SA with Libreswan: $(ike_cli showstates)"
[[ $(lsw_ike_sas) == 1 ]] || ikm_fail "Libreswan has not one IKE SA: $(lsw_whack --showstates)"
grep "IKE SA #1 established with $lsw_addr:4500 (private, .*peer ID $lsw_subject)" "$ike_log" >&2 ||
  ikm_fail "ikemesh did not log the IKE SA with Libreswan's certificate subject"
grep -E "established IKE SA.*(authenticated|CN=ike)|IKE SA established.*CN=ike|authenticated peer.*CN=ike" "$lsw_dir/pluto.log" >&2 ||
  ikm_fail "Libreswan did not authenticate ikemesh's certificate: $(grep -i 'auth' "$lsw_dir/pluto.log" | tail -5)"
grep 'no CHILD SA: TS_UNACCEPTABLE' "$ike_log" >&2 || ikm_fail "ikemesh did not log Libreswan's TS_UNACCEPTABLE"
[[ -z $(ike_cli trafficstatus) ]] || ikm_fail "ikemesh shows a tunnel: $(ike_cli trafficstatus)"
plain=$(tcpdump -n -r "$IKM_TMP/wire.pcap" icmp 2>/dev/null | wc -l)
((plain == 0)) || ikm_fail "$plain ICMP packets left in the clear"

ikm_log "2. Libreswan initiates: ikemesh authenticates it by its certificate"
interop_stop_both part1
interop_ikemesh_start "$x509_lines" --nssdir "$ike_nss" -- dpddelay=2s retransmit-timeout=5s
interop_start_libreswan
lsw_whack --name ikemesh --initiate --asynchronous >&2
established() { grep -q "IKE SA #1 established with $lsw_addr:4500 (private, .*peer ID $lsw_subject)" "$ike_log"; }
ikm_wait_for 15 "ikemesh to establish the IKE SA Libreswan started, with its certificate" established
grep "IKE SA #1 established" "$ike_log" >&2
kill -0 "$ike_pid" || ikm_fail "ikemeshd died"
interop_stop_both part2
ikm_pass
