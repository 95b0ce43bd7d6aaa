# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The setup shared by the Libreswan interop tests: ikemesh (kernel-tun, NULL authentication)
# in `ike` at 10.15.1.1 and Libreswan 4.10's pluto in `lsw` at 10.15.1.3, and a capture of the
# LAN side of `ike` in $IKM_TMP/wire.pcap (kept with the logs on failure): interop-common.sh.
#
# Libreswan conflicts with the strongSwan packages: scripts/install-deps.sh unpacks its .deb in
# $IKEMESH_LIBRESWAN_ROOT (default /opt/ikemesh-interop/libreswan), fetching it when missing.
# pluto runs with its own rundir, NSS database, ipsec.d and secrets, in a mount namespace of
# its own where the unpacked /usr/libexec (its helpers, /usr/libexec/ipsec/_updown...) is bound
# over the host's. This host's kernel has no ESP: pluto completes IKE_SA_INIT and IKE_AUTH,
# then cannot install a CHILD SA (XFRM answers errno 38) and says TS_UNACCEPTABLE.

# shellcheck source=tests/interop/interop-common.sh
source "$IKEMESH_SOURCE/tests/interop/interop-common.sh"

libreswan_root=${IKEMESH_LIBRESWAN_ROOT:-/opt/ikemesh-interop/libreswan}
if [[ ! -x $libreswan_root/usr/libexec/ipsec/pluto ]]; then
  bash "$IKEMESH_SOURCE/scripts/install-deps.sh" >&2 ||
    ikm_fail "scripts/install-deps.sh failed (it fetches Libreswan into $libreswan_root)"
fi
[[ -x $libreswan_root/usr/libexec/ipsec/pluto ]] || ikm_fail "no pluto in $libreswan_root: run scripts/install-deps.sh as root"

lsw_addr=10.15.1.3
interop_nodes lsw "$lsw_addr"
lsw_ns=$(ikm_nsname lsw)
lsw_dir="$IKM_TMP/lsw"

# interop_start_ikemesh [KEY=VALUE...]: ikemeshd in `ike` with NULL authentication; conn
# `private` gets the extra keys. Sets ike_pid, ike_ctl.
interop_start_ikemesh() {
  interop_ikemesh_start $'\tauthby=null\n\tleftid=%null\n\trightid=%null' -- "$@"
}

# interop_start_libreswan [CONN KEY=VALUE...]: pluto in `lsw` with conn `ikemesh` (NULL
# authentication towards ikemesh unless $lsw_auth_lines says otherwise, tunnel mode,
# auto=add) plus the extra keys. Its NSS database is $lsw_dir/nss. Sets lsw_pid.
interop_start_libreswan() {
  local extra="" kv
  for kv in "$@"; do extra+=$'\t'"$kv"$'\n'; done
  local auth=${lsw_auth_lines:-$'\tleftid=%null\n\trightid=%null\n\tauthby=null'}
  mkdir -p "$lsw_dir/run" "$lsw_dir/nss" "$lsw_dir/ipsec.d"
  : >"$lsw_dir/ipsec.secrets"
  [[ -e $lsw_dir/nss/cert9.db ]] || certutil -N -d "sql:$lsw_dir/nss" --empty-password
  cat >"$lsw_dir/ipsec.conf" <<EOF
config setup
	logfile=$lsw_dir/pluto.log
	logtime=yes
	plutodebug=none
	dnssec-enable=no

conn ikemesh
	left=$lsw_addr
	right=$ike_addr
$auth
	ikev2=insist
	type=tunnel
	auto=add
$extra
EOF
  # shellcheck disable=SC2016 # "$0" and "$@" are the inner sh's
  ip netns exec "$lsw_ns" unshare --mount --propagation private \
    sh -c 'mount --bind "$0/usr/libexec" /usr/libexec && exec "$@"' "$libreswan_root" \
    "$libreswan_root/usr/libexec/ipsec/pluto" --nofork --config "$lsw_dir/ipsec.conf" \
    --rundir "$lsw_dir/run" --nssdir "$lsw_dir/nss" --ipsecdir "$lsw_dir/ipsec.d" \
    --secretsfile "$lsw_dir/ipsec.secrets" --no-dnssec >"$lsw_dir/stdout.log" 2>&1 &
  lsw_pid=$!
  ikm_track "$lsw_pid"
  ikm_wait_for 20 "pluto's control socket" test -S "$lsw_dir/run/pluto.ctl"
  lsw_whack --listen >/dev/null
  ip netns exec "$lsw_ns" "$libreswan_root/usr/libexec/ipsec/addconn" --ctlsocket "$lsw_dir/run/pluto.ctl" \
    --config "$lsw_dir/ipsec.conf" ikemesh >"$lsw_dir/addconn.log" 2>&1 ||
    ikm_fail "addconn: $(cat "$lsw_dir/addconn.log")"
}
lsw_whack() { ip netns exec "$lsw_ns" "$libreswan_root/usr/libexec/ipsec/whack" --ctlsocket "$lsw_dir/run/pluto.ctl" "$@"; }
lsw_stop() {
  lsw_whack --shutdown >/dev/null 2>&1 || kill -TERM "$lsw_pid"
  wait "$lsw_pid" || true
}
ike_log="$IKM_TMP/ike/daemon.log"
# interop_stop_both PART: ikemeshd (which must exit 0) and pluto stop; their logs are kept as
# daemon-PART.log and pluto-PART.log, for a fresh start of both.
interop_stop_both() {
  ikm_stop_daemon "$ike_pid"
  lsw_stop
  mv "$ike_log" "$IKM_TMP/ike/daemon-$1.log"
  mv "$lsw_dir/pluto.log" "$lsw_dir/pluto-$1.log"
}
# ike_sas_with_lsw: established IKE SAs that ikemesh lists with Libreswan.
ike_sas_with_lsw() { ike_cli showstates | grep -c "\.\.\.$lsw_addr:[0-9]* established IKE SA" || true; }
# lsw_ike_sas: established IKE SAs that Libreswan lists.
lsw_ike_sas() { lsw_whack --showstates | grep -c 'STATE_V2_ESTABLISHED_IKE_SA' || true; }
