#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In the ESP-capable guest (run-in-vm.sh): the Libreswan mesh guide's own software as a peer.
# Libreswan 4.10's pluto (tests/lib/libreswan.sh) with the kernel's XFRM in `lsw` (10.15.1.3)
# and ikemesh on kernel-xfrm in `n1` (10.15.1.1), both reading the same guide files: mesh.conf
# (pluto through an `include` from its ipsec.conf, as the guide does) and policies/ (pluto from
# its ipsec.d, ikemesh from beside mesh.conf). Two groups of rounds, each with fresh daemons:
# 1. certificates: the guide's mesh.conf (authby=rsasig, leftcert, leftid=%fromcert) with
#    RSA certificates from one CA (the guide's rsasig wants RSA);
# 2. NULL authentication: the same three conns with authby=null, leftid=%null, rightid=%null
#    (tests/data/xfrm-mesh, whose `config setup` is left out: Libreswan has no dataplane=).
# In each group ikemesh initiates once (its trap) and Libreswan once (its trap). Pings go both
# ways; Libreswan's `whack --trafficstatus` lists n1 and `ikemesh trafficstatus` lists lsw with
# the peer's identity; the kernel's ESP states count on both sides; the LAN carries IKE and ESP
# only between the two.
if [[ -z ${IKEMESH_IN_VM:-} ]]; then
  # n1's NSS database by ikemesh's own commands; Libreswan's by its procedure (ipsec initnss;
  # ipsec import lsw.p12): pk12util into its database, then the CA trusted for peer certificates.
  make_certs() {
    local certs=$1 ca
    MESH_KEY=rsa:2048 bash "${IKEMESH_SOURCE:?}/tests/lib/make-mesh-certs.sh" "$certs" n1 lsw
    "$IKEMESH_BUILD/bin/ikemesh" initnss --nssdir "sql:$certs/n1-nss"
    "$IKEMESH_BUILD/bin/ikemesh" import "$certs/n1.p12" --password-file "$certs/p12-password" \
      --nssdir "sql:$certs/n1-nss"
    mkdir -p "$certs/lsw-nss"
    certutil -N -d "sql:$certs/lsw-nss" --empty-password
    pk12util -i "$certs/lsw.p12" -d "sql:$certs/lsw-nss" -w "$certs/p12-password"
    ca=$(certutil -L -d "sql:$certs/lsw-nss" | awk 'NR > 4 && $1 != "lsw" {print $1; exit}')
    certutil -M -n "$ca" -t "CT,," -d "sql:$certs/lsw-nss"
  }
  source "${IKEMESH_SOURCE:?}/tests/vm/vm-certs.sh"
  ikm_vm_run_with_certs make_certs "$0" "$@"
fi
source "$IKEMESH_TEST_LIB"
ikm_init libreswan-mesh
source "$IKEMESH_SOURCE/tests/lib/libreswan.sh"
[[ -z $(ikm_libreswan_missing) ]] || ikm_fail "$(ikm_libreswan_missing)"
source "$IKEMESH_SOURCE/tests/vm/vm-lib.sh"
trap 'ikm_vm_dump_on_failure n1 lsw; for log in "$IKM_TMP"/lsw-*/pluto.log; do echo "---- $log" >&2; tail -30 "$log" >&2; done; ikm_cleanup' EXIT

certs="$IKM_TMP/certs"
cp -r "${IKEMESH_VM_CERTS:?}" "$certs"
plugins="$IKM_TMP/plugins"
mkdir -p "$plugins"
ln -s "$IKEMESH_BUILD/plugins/ikemesh-auth-x509.so" "$IKEMESH_BUILD/plugins/ikemesh-auth-null.so" \
  "$IKEMESH_BUILD/plugins/ikemesh-kernel-xfrm.so" "$plugins/"

# The guide's files per group and node: GROUP/NODE/mesh.conf and GROUP/NODE/policies.
guide_files() {
  local group=$1 node=$2 dir="$IKM_TMP/$1/$2"
  mkdir -p "$dir"
  cp -r "$IKEMESH_SOURCE/tests/data/x509-mesh/policies" "$dir/"
  case $group in
  x509) sed "s/nodeXXXX/$node/" "$IKEMESH_SOURCE/tests/data/x509-mesh/mesh.conf.in" >"$dir/mesh.conf" ;;
  null) sed '/^config setup/,/^$/d' "$IKEMESH_SOURCE/tests/data/xfrm-mesh/mesh.conf" >"$dir/mesh.conf" ;;
  esac
}
for group in x509 null; do
  guide_files "$group" n1
  guide_files "$group" lsw
done
cmp -s <(sed 's/\bn1\b/NODE/g' "$IKM_TMP/x509/n1/mesh.conf") <(sed 's/\blsw\b/NODE/g' "$IKM_TMP/x509/lsw/mesh.conf") ||
  ikm_fail "the nodes' mesh.conf differ in more than leftcert"

ikm_lan
lan=$(ikm_nsname lan)
ikm_node n1 10.15.1.1/16
ikm_node lsw 10.15.1.3/16
for node in n1 lsw; do ip netns exec "$(ikm_nsname "$node")" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
lsw_ns=$(ikm_nsname lsw)
# Libreswan's addconn resolves left=%defaultroute from the default route's gateway (without one:
# "must specify host IP address for our side"): the guide's gateway, the clear group's 10.15.0.1.
ip -n "$lsw_ns" route replace default via 10.15.0.1 dev eth0
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
n1_cli() { "$IKM_BIN/ikemesh" --ctl "$n1_ctl" "$@"; }
lsw_whack() { ikm_libreswan_whack "$lsw_ns" "$lsw_dir" "$@"; }

# start_libreswan GROUP: pluto in lsw with GROUP's guide files (its folder lsw-GROUP; its
# ipsec.conf: the guide's `include` of mesh.conf; the policies in its ipsec.d), its traps in
# place; and a capture of the LAN.
start_libreswan() {
  local group=$1
  lsw_dir="$IKM_TMP/lsw-$group"
  mkdir -p "$lsw_dir/ipsec.d"
  cp -r "$certs/lsw-nss" "$lsw_dir/nss"
  cp "$IKM_TMP/$group/lsw/mesh.conf" "$lsw_dir/ipsec.d/mesh.conf"
  cp -r "$IKM_TMP/$group/lsw/policies" "$lsw_dir/ipsec.d/"
  {
    ikm_libreswan_config_setup "$lsw_dir"
    echo "include $lsw_dir/ipsec.d/mesh.conf"
  } >"$lsw_dir/ipsec.conf"
  ikm_libreswan_start "$lsw_ns" "$lsw_dir"
  lsw_pid=$IKM_LIBRESWAN_PID
  ikm_libreswan_addconn "$lsw_ns" "$lsw_dir" --autoall
  # Libreswan's trap for the private group: an outbound policy with an ESP template.
  lsw_trap() { run lsw ip xfrm policy | grep -A3 "dst 10.15.0.0/16" | grep -q "proto esp"; }
  ikm_wait_for 60 "Libreswan's trap for 10.15.0.0/16" lsw_trap
  ikm_capture "lan-$group" "$lan" br0 ip
  capture_pid=$IKM_CAPTURE_PID
  ikm_log "$group: pluto is up with its traps"
}

# start_ikemesh GROUP ROUND: ikemeshd in n1 with GROUP's guide files, its log in n1-ROUND.
start_ikemesh() {
  ikm_start_daemon "n1-$2" "$(ikm_nsname n1)" -- --config "$IKM_TMP/$1/n1/mesh.conf" \
    --nssdir "sql:$certs/n1-nss" --plugindir "$plugins"
  n1_pid=$IKM_PID n1_ctl=$IKM_CTL n1_log="$IKM_TMP/n1-$2/daemon.log"
  grep -q "dataplane=auto means xfrm" "$n1_log" || ikm_fail "dataplane=auto did not pick xfrm: $(grep auto "$n1_log")"
}

# stop_ikemesh: ikemeshd stops (its DELETE ends the IKE SA at Libreswan too) and leaves nothing
# in n1's kernel; Libreswan holds no ESP state with n1 any more.
stop_ikemesh() {
  ikm_stop_daemon "$n1_pid"
  [[ -z $(run n1 ip xfrm state; run n1 ip xfrm policy) ]] || ikm_fail "ikemesh left XFRM objects on n1"
  lsw_clean() { [[ -z $(state_packets lsw) ]]; }
  ikm_wait_for 20 "Libreswan to remove its states with n1 after ikemesh's DELETE" lsw_clean
}

stop_libreswan() {
  ikm_libreswan_stop "$lsw_ns" "$lsw_dir" "$lsw_pid"
  ikm_capture_stop "$capture_pid"
}

# Packets the kernel counted on each ESP state between n1 and lsw in NODE, one number a line.
# A larval state (SPI 0) is left out: Libreswan's ACQUIRE leaves one until
# net.core.xfrm_acq_expires, as its outbound SA does not name the ACQUIRE's seq.
state_packets() {
  run "$1" ip -s xfrm state | awk '/^src /{pair = ($2 ~ /^10\.15\.1\.[13]$/ && $4 ~ /^10\.15\.1\.[13]$/)}
    /proto esp spi 0x00000000\(/{pair = 0}
    pair && /\(bytes\), .*\(packets\)$/{sub(/.*, /, ""); sub(/\(packets\)/, ""); print}'
}

# check GROUP ROUND N1_ID LSW_ID ESP: after pings both ways, each side lists the other with
# its identity and counters, the kernel's states count, the LAN (GROUP's capture) saw at least
# ESP packets of ESP between the two and no ICMP.
check() {
  local group=$1 round=$2 n1_id=$3 lsw_id=$4 min_esp=$5
  run n1 ping -c 3 -i 0.2 -W 5 10.15.1.3 >&2 || ikm_fail "$round: n1 -> lsw in the tunnel"
  run lsw ping -c 3 -i 0.2 -W 5 10.15.1.1 >&2 || ikm_fail "$round: lsw -> n1 in the tunnel"

  local lsw_traffic n1_traffic
  lsw_traffic=$(lsw_whack --trafficstatus)
  echo "$lsw_traffic" >&2
  [[ $lsw_traffic =~ \.\.\.10\.15\.1\.1,\ type=ESP,\ add_time=[0-9]+,\ inBytes=([0-9]+),\ outBytes=([0-9]+) ]] ||
    ikm_fail "$round: Libreswan's trafficstatus lacks n1: $lsw_traffic"
  ((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0)) || ikm_fail "$round: Libreswan's counters: $lsw_traffic"
  grep -qF "id='$n1_id'" <<<"$lsw_traffic" || ikm_fail "$round: Libreswan does not name n1 $n1_id: $lsw_traffic"
  n1_traffic=$(n1_cli trafficstatus)
  echo "$n1_traffic" >&2
  [[ $n1_traffic =~ \.\.\.10\.15\.1\.3,\ type=ESP,\ add_time=[0-9]+,\ inBytes=([0-9]+),\ outBytes=([0-9]+) ]] ||
    ikm_fail "$round: ikemesh's trafficstatus lacks lsw: $n1_traffic"
  ((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0)) || ikm_fail "$round: ikemesh's counters: $n1_traffic"
  grep -qF "id='$lsw_id'" <<<"$n1_traffic" || ikm_fail "$round: ikemesh does not name lsw $lsw_id: $n1_traffic"

  local node states packets
  for node in n1 lsw; do
    states=$(run "$node" ip -s xfrm state)
    [[ $(state_packets "$node" | wc -l) == 2 ]] || ikm_fail "$round: $node should hold 2 ESP states with the other: $states"
    while read -r packets; do
      ((packets >= 6)) || ikm_fail "$round: $node: a state counted $packets packets: $states"
    done < <(state_packets "$node")
  done

  ikm_capture_wait "lan-$group" "$min_esp"
  local wire esp
  wire=$(tcpdump -n -r "$IKM_TMP/lan-$group.pcap" 2>/dev/null)
  ! grep -q ICMP <<<"$wire" || ikm_fail "$round: ICMP in the clear: $(grep ICMP <<<"$wire")"
  esp=$(grep -c '10\.15\.1\.[13] > 10\.15\.1\.[13]: ESP(spi=' <<<"$wire" || true)
  ((esp >= min_esp)) || ikm_fail "$round: $esp ESP packets between n1 and lsw: $wire"
  other=$(grep -v 'ESP(spi=' <<<"$wire" | grep -vE '10\.15\.1\.[13]\.(500|4500) > 10\.15\.1\.[13]\.(500|4500): .*isakmp' | grep -v 'ARP,' || true)
  [[ -z $other ]] || ikm_fail "$round: packets other than IKE and ESP on the LAN: $other"
  ikm_log "$round: both list each other; $esp ESP packets on the LAN, no ICMP in the clear"
}

subject() { echo "C=US, ST=NC, O=Example Organization, CN=$1"; }
for group in x509 null; do
  if [[ $group == x509 ]]; then
    n1_id=$(subject n1) lsw_id=$(subject lsw)
  else
    n1_id=ID_NULL lsw_id=ID_NULL
  fi

  start_libreswan "$group"

  ikm_log "$group: ikemesh's trap opens the tunnel to Libreswan"
  start_ikemesh "$group" "$group-ikemesh"
  # One echo request: the kernel holds it while IKE runs (kernel-xfrm, xfrm_larval_drop=0).
  # Libreswan's IKE_AUTH takes seconds under TCG (RSA, MODP-2048), so the reply may come late.
  started=$(date +%s%N)
  run n1 ping -c 1 -W 20 10.15.1.3 >&2 || ikm_fail "$group: n1 (ikemesh) -> lsw (Libreswan): the first and only echo request got no reply"
  ikm_log "$group: the first packet's reply after $((($(date +%s%N) - started) / 1000000)) ms"
  check "$group" "$group-ikemesh" "$n1_id" "$lsw_id" 12
  stop_ikemesh

  ikm_log "$group: Libreswan's trap opens the tunnel to a fresh ikemeshd"
  start_ikemesh "$group" "$group-libreswan"
  # Libreswan leaves net.core.xfrm_larval_drop at the kernel's default: its first packets are
  # dropped while IKE runs, so ping sends one a second until a reply; how many is logged.
  started=$(date +%s%N)
  pinged=$(run lsw ping -c 1 -w 30 10.15.1.1) || ikm_fail "$group: lsw (Libreswan) -> n1 (ikemesh): no reply: $pinged"
  echo "$pinged" >&2
  ikm_log "$group: Libreswan's first reply after $((($(date +%s%N) - started) / 1000000)) ms, $(grep -o '[0-9]* packets transmitted' <<<"$pinged") (its xfrm_larval_drop=$(run lsw sysctl -n net.core.xfrm_larval_drop))"
  grep -q "IKE_SA_INIT from 10.15.1.3:500" "$n1_log" || ikm_fail "$group: ikemesh did not answer Libreswan's IKE_SA_INIT"
  check "$group" "$group-libreswan" "$n1_id" "$lsw_id" 24
  stop_ikemesh
  stop_libreswan
done
ikm_pass
