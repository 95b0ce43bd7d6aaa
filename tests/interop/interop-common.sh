# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# What every interop test shares: a LAN (a bridge in a namespace of its own), ikemesh's node
# `ike` at 10.15.1.1 and the peer's node, IPv4 only, and a capture of the LAN side of `ike` in
# $IKM_TMP/wire.pcap (kept with the logs on failure). Sourced by strongswan-common.sh and
# libreswan-common.sh.

command -v tcpdump >/dev/null || ikm_fail "tcpdump is missing: run scripts/install-deps.sh"

ike_addr=10.15.1.1
# interop_nodes PEER ADDRESS: the LAN, `ike` and the peer's node PEER. Sets ike_ns.
interop_nodes() {
  ikm_lan
  ikm_node ike "$ike_addr/16"
  ikm_node "$1" "$2/16"
  ike_ns=$(ikm_nsname ike)
  ip netns exec "$ike_ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$(ikm_nsname "$1")" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ikm_capture wire "$ike_ns" eth0 udp
}
run_ike() { ip netns exec "$ike_ns" "$@"; }

# interop_ikemesh_start AUTH_LINES [DAEMON_ARG...] -- [KEY=VALUE...]: ikemeshd in `ike` on the
# TUN dataplane; conn `private` (tunnel mode, the opportunistic group 10.15.1.0/24, failure
# shunt drop) has the authentication lines AUTH_LINES and the extra keys. Sets ike_pid, ike_ctl.
interop_ikemesh_start() {
  local auth=$1 etc="$IKM_TMP/ike-etc" extra="" kv
  shift
  local -a daemon_args=()
  while (($# > 0)) && [[ $1 != "--" ]]; do
    daemon_args+=("$1")
    shift
  done
  (($# > 0)) && shift
  for kv in "$@"; do extra+=$'\t'"$kv"$'\n'; done
  mkdir -p "$etc/policies"
  printf '# the peer and its LAN\n10.15.1.0/24\n' >"$etc/policies/private"
  cat >"$etc/mesh.conf" <<EOF
config setup
	dataplane=tun

conn private
	auto=ondemand
	type=tunnel
$auth
	failureshunt=drop
	negotiationshunt=hold
	shuntlifetime=60s
	ikev2=insist
	left=%defaultroute
	right=%opportunisticgroup
$extra
EOF
  ikm_start_daemon ike "$ike_ns" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins" \
    "${daemon_args[@]}"
  ike_pid=$IKM_PID
  ike_ctl=$IKM_CTL
}
ike_cli() { "$IKM_BIN/ikemesh" --ctl "$ike_ctl" "$@"; }
