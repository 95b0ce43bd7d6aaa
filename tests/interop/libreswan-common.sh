# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The setup shared by the Libreswan interop tests: ikemesh (kernel-tun, NULL authentication)
# in `ike` at 10.15.1.1 and Libreswan 4.10's pluto in `lsw` at 10.15.1.3, and a capture of the
# LAN side of `ike` in $IKM_TMP/wire.pcap (kept with the logs on failure): interop-common.sh.
#
# Libreswan's pluto runs as tests/lib/libreswan.sh starts it: its own rundir, NSS database,
# ipsec.d and secrets, its unpacked helpers. This host's kernel has no ESP: pluto completes
# IKE_SA_INIT and IKE_AUTH, then cannot install a CHILD SA (XFRM answers errno 38) and says
# TS_UNACCEPTABLE.

# shellcheck source=tests/interop/interop-common.sh
source "$IKEMESH_SOURCE/tests/interop/interop-common.sh"
# shellcheck source=tests/lib/libreswan.sh
source "$IKEMESH_SOURCE/tests/lib/libreswan.sh"

if [[ -n $(ikm_libreswan_missing) ]]; then
  bash "$IKEMESH_SOURCE/scripts/install-deps.sh" >&2 ||
    ikm_fail "scripts/install-deps.sh failed (it fetches Libreswan into $IKM_LIBRESWAN_ROOT)"
fi
[[ -z $(ikm_libreswan_missing) ]] || ikm_fail "$(ikm_libreswan_missing)"

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
  mkdir -p "$lsw_dir"
  {
    ikm_libreswan_config_setup "$lsw_dir"
    cat <<EOF
conn ikemesh
	left=$lsw_addr
	right=$ike_addr
$auth
	ikev2=insist
	type=tunnel
	auto=add
$extra
EOF
  } >"$lsw_dir/ipsec.conf"
  ikm_libreswan_start "$lsw_ns" "$lsw_dir"
  lsw_pid=$IKM_LIBRESWAN_PID
  ikm_libreswan_addconn "$lsw_ns" "$lsw_dir" ikemesh
}
lsw_whack() { ikm_libreswan_whack "$lsw_ns" "$lsw_dir" "$@"; }
lsw_stop() { ikm_libreswan_stop "$lsw_ns" "$lsw_dir" "$lsw_pid"; }
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
