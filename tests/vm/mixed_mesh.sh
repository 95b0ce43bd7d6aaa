#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In the ESP-capable guest (run-in-vm.sh): a mixed mesh, n1 on kernel-xfrm and n2 on kernel-tun,
# the guide's mesh.conf with NULL auth, first in transport mode, then in tunnel mode. The tun
# node always encapsulates ESP in UDP (RFC 3948), so the kernel on n1 must send and take ESP
# in UDP on port 4500 (UDP_ENCAP on the core's socket): pings in both directions get their
# replies, n1's kernel states carry the encapsulation and count, and the LAN carries IKE and
# UDP 4500 only.
[[ -n ${IKEMESH_IN_VM:-} ]] || exec bash "${IKEMESH_SOURCE:?}/tests/vm/run-in-vm.sh" "$0" "$@"
source "$IKEMESH_TEST_LIB"
ikm_init mixed-mesh
source "$IKEMESH_SOURCE/tests/vm/vm-lib.sh"
trap 'ikm_vm_dump_on_failure n1 n2; ikm_cleanup' EXIT

# One plugin folder and one mesh.conf per node: the same conn, each node's dataplane.
for node in n1 n2; do
  mkdir -p "$IKM_TMP/$node-plugins" "$IKM_TMP/$node-etc"
  cp -r "$IKEMESH_SOURCE/tests/data/xfrm-mesh/." "$IKM_TMP/$node-etc/"
  ln -s "$IKEMESH_BUILD/plugins/ikemesh-auth-null.so" "$IKM_TMP/$node-plugins/"
done
ln -s "$IKEMESH_BUILD/plugins/ikemesh-kernel-xfrm.so" "$IKM_TMP/n1-plugins/"
ln -s "$IKEMESH_BUILD/plugins/ikemesh-kernel-tun.so" "$IKM_TMP/n2-plugins/"
sed -i 's/dataplane=auto/dataplane=xfrm/' "$IKM_TMP/n1-etc/mesh.conf"
sed -i 's/dataplane=auto/dataplane=tun/' "$IKM_TMP/n2-etc/mesh.conf"

ikm_lan
lan=$(ikm_nsname lan)
ikm_node n1 10.15.1.1/16
ikm_node n2 10.15.1.2/16
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
start() {
  ikm_start_daemon "$1-$2" "$(ikm_nsname "$1")" -- --config "$IKM_TMP/$1-etc/mesh.conf" --plugindir "$IKM_TMP/$1-plugins"
  declare -g "pid_$1=$IKM_PID"
}

for mode in transport tunnel; do
  ikm_log "$mode mode"
  sed -i "s/type=.*/type=$mode/" "$IKM_TMP/n1-etc/mesh.conf" "$IKM_TMP/n2-etc/mesh.conf"
  start n1 "$mode"
  start n2 "$mode"
  ikm_capture "lan-$mode" "$lan" br0 ip
  run n1 ping -c 1 -w 10 10.15.1.2 >&2 || ikm_fail "$mode: n1 (xfrm) -> n2 (tun): no reply"
  run n2 ping -c 3 -i 0.2 -W 5 10.15.1.1 >&2 || ikm_fail "$mode: n2 (tun) -> n1 (xfrm)"
  run n1 ping -c 3 -i 0.2 -W 5 10.15.1.2 >&2 || ikm_fail "$mode: n1 (xfrm) -> n2 (tun) in the tunnel"

  states=$(run n1 ip -s xfrm state)
  [[ $(grep -c "mode $mode" <<<"$states") == 2 ]] || ikm_fail "$mode: n1 should hold 2 $mode states: $states"
  [[ $(grep -c "encap type espinudp sport 4500 dport 4500" <<<"$states") == 2 ]] ||
    ikm_fail "$mode: n1's states are not ESP in UDP on 4500: $states"
  while read -r packets; do
    ((packets >= 6)) || ikm_fail "$mode: a state of n1 counted $packets packets: $states"
  done < <(sed -n 's/^ *[0-9]*(bytes), \([0-9]*\)(packets)$/\1/p' <<<"$states")

  ikm_capture_wait "lan-$mode" 12
  ikm_capture_stop "$IKM_CAPTURE_PID"
  wire=$(tcpdump -n -r "$IKM_TMP/lan-$mode.pcap" 2>/dev/null)
  other=$(grep -v -E '\.4500 > 10\.15\.1\.[12]\.4500: (UDP-encap|NONESP-encap|isakmp)|\.500 > 10\.15\.1\.[12]\.500: isakmp' <<<"$wire" || true)
  [[ -z $other ]] || ikm_fail "$mode: packets other than IKE and ESP in UDP on the LAN: $other"
  encapsulated=$(grep -c 'UDP-encap' <<<"$wire" || true)
  ((encapsulated >= 12)) || ikm_fail "$mode: $encapsulated ESP-in-UDP packets: $wire"
  ikm_log "$mode: $encapsulated ESP-in-UDP packets, nothing else but IKE"

  ikm_stop_daemon "$pid_n1"
  ikm_stop_daemon "$pid_n2"
  [[ -z $(run n1 ip xfrm state; run n1 ip xfrm policy) ]] || ikm_fail "$mode: left on n1: $(run n1 ip xfrm policy)"
done
ikm_pass
