#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In the ESP-capable guest (run-in-vm.sh): two ikemeshd nodes with kernel-xfrm and NULL auth,
# the guide's mesh.conf in transport mode (dataplane=auto, which must pick xfrm there). A
# ping opens the tunnel; the kernel's ESP states count packets on both sides; trafficstatus
# shows the same; the trap is the expected XFRM policy; the LAN carries ESP and no clear ICMP.
# Stop removes every policy and state; after kill -9, the restarted daemon removes the dead
# one's before installing its own, and its stop leaves nothing.
[[ -n ${IKEMESH_IN_VM:-} ]] || exec bash "${IKEMESH_SOURCE:?}/tests/vm/run-in-vm.sh" "$0" "$@"
source "$IKEMESH_TEST_LIB"
ikm_init mesh-xfrm
etc="$IKM_TMP/etc"
cp -r "$IKEMESH_SOURCE/tests/data/xfrm-mesh" "$etc"
# Only the plugins this mesh uses (kernel-tun would add its TUN device and rules).
plugins="$IKM_TMP/plugins"
mkdir -p "$plugins"
ln -s "$IKEMESH_BUILD/plugins/ikemesh-auth-null.so" "$IKEMESH_BUILD/plugins/ikemesh-kernel-xfrm.so" "$plugins/"
source "$IKEMESH_SOURCE/tests/vm/vm-lib.sh"
trap 'ikm_vm_dump_on_failure n1 n2; ikm_cleanup' EXIT

ikm_lan
lan=$(ikm_nsname lan)
ikm_node n1 10.15.1.1/16
ikm_node n2 10.15.1.2/16
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
start() {
  ikm_start_daemon "$1" "$(ikm_nsname "$1")" -- --config "$etc/mesh.conf" --plugindir "$plugins"
  declare -g "ctl_$1=$IKM_CTL" "pid_$1=$IKM_PID"
}
cli() { local ctl="ctl_$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }
# Kernel objects of ours: states with our reqid band, policies with our priority band
# (plugins/kernel-xfrm/README.md); the namespaces hold nothing else.
ours() { run "$1" ip xfrm state; run "$1" ip xfrm policy; }
# Packets the kernel counted on each state between n1 and n2, one number a line.
state_packets() {
  run "$1" ip -s xfrm state | awk '/^src /{pair = ($2 ~ /^10\.15\.1\.[12]$/ && $4 ~ /^10\.15\.1\.[12]$/)}
    pair && /\(bytes\), .*\(packets\)$/{sub(/.*, /, ""); sub(/\(packets\)/, ""); print}'
}

ikm_log "kernel-xfrm passes the SDK's conformance checks (in n1's namespace, before its daemon)"
run n1 "$IKEMESH_BUILD/tests/conformance/plugin_conformance" "$IKEMESH_BUILD/plugins/ikemesh-kernel-xfrm.so" \
  --local 10.15.1.1 --peer 10.15.1.2 >&2 || ikm_fail "kernel-xfrm does not conform to the SDK's checks"
[[ -z $(run n1 ip xfrm state) ]] || ikm_fail "the conformance checks left states: $(run n1 ip xfrm state)"

start n1
start n2
grep -q "dataplane=auto means xfrm" "$IKM_TMP/n1/daemon.log" || ikm_fail "dataplane=auto did not pick xfrm: $(grep auto "$IKM_TMP/n1/daemon.log")"

ikm_log "the trap is an outbound policy for the group with an ESP template and no state"
policy=$(run n1 ip xfrm policy)
# policyPriority(): base 0x45000000 + 16 + slot 4 * ((256 - 16) * 4 + 2 + 1) + kind 3.
trap_priority=$((0x45000000 + 16 + 4 * ((256 - 16) * 4 + 3) + 3))
grep -A3 "dst 10.15.0.0/16" <<<"$policy" | grep -q "dir out priority $trap_priority" ||
  ikm_fail "no outbound trap for 10.15.0.0/16: $policy"
grep -A3 "dst 10.15.0.0/16" <<<"$policy" | grep -q "proto esp reqid 1157627904 mode transport" ||
  ikm_fail "the trap has no ESP template with the plugin's reqid: $policy"
[[ -z $(run n1 ip xfrm state) ]] || ikm_fail "states before any traffic: $(run n1 ip xfrm state)"
ikm_log "the node's own address is a pass shunt: an outbound policy without template"
own=$(grep -A2 "src 0.0.0.0/0 dst 10.15.1.1/32" <<<"$policy")
grep -q "dir out priority" <<<"$own" && ! grep -q "tmpl\|action block" <<<"$own" ||
  ikm_fail "no pass policy for n1's own address: $policy"

ikm_log "the clear group is a pass policy, the private-or-clear group a trap"
grep -A2 "src 0.0.0.0/0 dst 10.15.0.1/32" <<<"$policy" | grep -q "dir out priority" ||
  ikm_fail "no pass policy for the clear gateway: $policy"
! grep -A2 "src 0.0.0.0/0 dst 10.15.0.1/32" <<<"$policy" | grep -q "tmpl" || ikm_fail "the clear gateway has a template: $policy"
grep -A3 "dst 10.15.2.0/24" <<<"$policy" | grep -q "proto esp reqid 1157627904 mode transport" ||
  ikm_fail "no trap for the private-or-clear group: $policy"

ikm_log "private-or-clear: a peer without IKE gets a pass shunt, first for the negotiation, then for the failure"
run n1 ping -c 1 -w 5 10.15.2.9 >/dev/null 2>&1 || true
passed() { run n1 ip xfrm policy | grep -A2 "src 10.15.1.1/32 dst 10.15.2.9/32" | grep -q "dir out priority"; }
ikm_wait_for 10 "a pass policy for 10.15.2.9" passed
! run n1 ip xfrm policy | grep -A3 "src 10.15.1.1/32 dst 10.15.2.9/32" | grep -q tmpl ||
  ikm_fail "the shunt for 10.15.2.9 has a template: $(run n1 ip xfrm policy)"
failing() { "$IKM_BIN/ikemesh" --ctl "$ctl_n1" shuntstatus | grep -q "10.15.1.1/32 -0-> 10.15.2.9/32 => %pass    oe-failing"; }
ikm_wait_for 15 "the private-or-clear failure shunt" failing
passed || ikm_fail "the failure shunt for 10.15.2.9 is not in the kernel: $(run n1 ip xfrm policy)"

ikm_capture lan "$lan" br0 ip
ikm_log "one ping opens the tunnel: the kernel holds the packet that made the ACQUIRE until the SA is in"
[[ $(run n1 sysctl -n net.core.xfrm_larval_drop) == 0 ]] || ikm_fail "kernel-xfrm did not set net.core.xfrm_larval_drop to 0"
started=$(date +%s%N)
run n1 ping -c 1 -W 5 10.15.1.2 >&2 || ikm_fail "n1 -> n2: the first and only echo request got no reply within 5 s"
ikm_log "the first packet's reply after $((($(date +%s%N) - started) / 1000000)) ms"
run n2 ping -c 3 -i 0.2 -W 5 10.15.1.1 >&2 || ikm_fail "n2 -> n1 through the tunnel"

ikm_log "the kernel's ESP states count packets on both sides"
for node in n1 n2; do
  states=$(run "$node" ip -s xfrm state)
  echo "$states" >&2
  [[ $(grep -cE "^src 10\.15\.1\.[12] dst 10\.15\.1\.[12]$" <<<"$states") == 2 ]] ||
    ikm_fail "$node should hold 2 states with the other node: $states"
  [[ $(state_packets "$node" | wc -l) == 2 ]] || ikm_fail "$node: no counters: $states"
  while read -r packets; do
    ((packets >= 3)) || ikm_fail "$node: a state counted $packets packets: $states"
  done < <(state_packets "$node")
  grep -q "aead rfc4106(gcm(aes))" <<<"$states" || ikm_fail "$node: not AES-GCM: $states"
done

ikm_log "trafficstatus reads the kernel's counters"
traffic=$(cli n1 trafficstatus)
echo "$traffic" >&2
[[ $traffic =~ \.\.\.10\.15\.1\.2,\ type=ESP,\ add_time=[0-9]+,\ inBytes=([0-9]+),\ outBytes=([0-9]+) ]] ||
  ikm_fail "n1's tunnel to n2: $traffic"
((BASH_REMATCH[1] >= 64 && BASH_REMATCH[2] >= 64)) || ikm_fail "byte counters: $traffic"

ikm_capture_wait lan 8
ikm_capture_stop "$IKM_CAPTURE_PID"
wire=$(tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null)
clear_icmp=$(grep ICMP <<<"$wire" || true)
[[ -z $clear_icmp ]] || ikm_fail "ICMP in the clear: $clear_icmp"
esp=$(grep -c 'ESP(spi=' <<<"$wire" || true)
((esp >= 8)) || ikm_fail "$esp ESP packets on the LAN: $wire"
other=$(grep -v 'ESP(spi=' <<<"$wire" | grep -v '\.500 > .*\.500: isakmp' || true)
[[ -z $other ]] || ikm_fail "packets other than IKE and ESP on the LAN: $other"
ikm_log "$esp ESP packets on the LAN, no ICMP in the clear"

ikm_log "stop removes every policy and state"
ikm_stop_daemon "$pid_n1"
[[ -z $(ours n1) ]] || ikm_fail "left on n1 after stop: $(ours n1)"

ikm_log "kill -9 leaves them, a larval state of an unanswered ACQUIRE too; the restarted daemon removes them first"
run n2 ping -c 1 -W 1 10.15.1.9 >/dev/null 2>&1 || true
larval() { run n2 ip xfrm state | grep -q "proto esp spi 0x00000000 reqid 1157627904 "; }
ikm_wait_for 5 "a larval state for 10.15.1.9 on n2" larval
kill -KILL "$pid_n2"
wait "$pid_n2" 2>/dev/null || true
left=$(ours n2)
grep -q "reqid" <<<"$left" || ikm_fail "kill -9 should have left the SAs: $left"
old_spis=$(run n2 ip xfrm state | sed -n 's/.*spi \(0x[0-9a-f]*\).*/\1/p' | sort)
start n2
grep -q "kernel-xfrm: removed [1-9][0-9]* policies and [1-9][0-9]* states left by an earlier run" \
  "$IKM_TMP/n2/daemon.log" || ikm_fail "the restart did not clean up: $(grep kernel-xfrm "$IKM_TMP/n2/daemon.log")"
for spi in $old_spis; do
  ! run n2 ip xfrm state | grep -q "spi $spi" || ikm_fail "state $spi of the killed daemon survived the restart"
done
ikm_stop_daemon "$pid_n2"
[[ -z $(ours n2) ]] || ikm_fail "left on n2 after the restart and stop: $(ours n2)"
ikm_pass
