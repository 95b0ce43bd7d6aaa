#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A mesh of three ikemeshd nodes with kernel-tun and NULL auth on one LAN, plus a `clear`
# gateway and a `private-or-clear` host without IKE: the first ping to a peer opens a tunnel
# (its reply comes back), trafficstatus counts the bytes, the gateway and the IKE-less host
# are reached in the clear, and a capture on the LAN sees no ICMP between mesh nodes.
source "$IKEMESH_TEST_LIB"
ikm_init mesh-tun
etc="$IKM_TMP/etc"
cp -r "$IKEMESH_SOURCE/tests/data/tun-mesh" "$etc"
# Plugin keys in config setup reach the plugin when it is made (here: its device's MTU).
sed -i 's/^\tdataplane=tun$/\tdataplane=tun\n\ttun-mtu=1380/' "$etc/mesh.conf"
ikm_lan
lan=$(ikm_nsname lan)
for i in 1 2 3; do ikm_node "n$i" "10.15.1.$i/16"; done
ikm_node gw 10.15.0.1/16
ikm_node plain 10.15.2.9/16
for i in 1 2 3; do
  ikm_start_daemon "n$i" "$(ikm_nsname "n$i")" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  declare "ctl$i=$IKM_CTL"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
ip -n "$(ikm_nsname n1)" link show ikemesh0 | grep -q "mtu 1380" ||
  ikm_fail "tun-mtu=1380 in config setup did not reach kernel-tun: $(ip -n "$(ikm_nsname n1)" link show ikemesh0)"
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }

ikm_capture lan "$lan" br0 not arp
ikm_log "the first ping to each peer gets its reply through a new tunnel"
run n1 ping -c 1 -W 10 10.15.1.2 >&2 || ikm_fail "n1 -> n2: no reply to the first ping"
run n3 ping -c 1 -W 10 10.15.1.1 >&2 || ikm_fail "n3 -> n1: no reply to the first ping"
run n2 ping -c 3 -i 0.2 -W 5 10.15.1.3 >&2 || ikm_fail "n2 -> n3"

ikm_log "trafficstatus counts the bytes in both directions"
traffic=$(cli 1 trafficstatus)
echo "$traffic" >&2
[[ $(grep -c "type=ESP" <<<"$traffic") == 2 ]] || ikm_fail "n1 should have 2 tunnels: $traffic"
line=$(grep '\.\.\.10\.15\.1\.2,' <<<"$traffic")
[[ $line =~ \"private#10.15.0.0/16\"\[[0-9]+\]\ \.\.\.10\.15\.1\.2,\ type=ESP,\ add_time=[0-9]+,\ inBytes=([0-9]+),\ outBytes=([0-9]+),\ maxBytes=2\^63B,\ id=\'ID_NULL\' ]] ||
  ikm_fail "n1's tunnel to n2: $line"
((BASH_REMATCH[1] >= 64 && BASH_REMATCH[2] >= 64)) || ikm_fail "byte counters: $line"

ikm_log "a reload that changes another group keeps the tunnels, their instances and their routes"
before=$(cli 1 trafficstatus --json | jq -c '[.tunnels[] | {instance, addTime}]')
established=$(cli 1 status --json | jq .ike.ikeSasEstablished)
echo "10.15.3.0/24" >>"$etc/policies/clear"
out=$(cli 1 reload)
ikm_expect_contains "$out" "group 'clear': + 10.15.3.0/24" "reload"
after=$(cli 1 trafficstatus --json | jq -c '[.tunnels[] | {instance, addTime}]')
[[ $after == "$before" ]] || ikm_fail "tunnels changed across the reload: $before -> $after"
run n1 ping -c 2 -i 0.2 -W 5 10.15.1.2 >&2 || ikm_fail "n1 -> n2 after the reload"
[[ $(cli 1 status --json | jq .ike.ikeSasEstablished) == "$established" ]] || ikm_fail "the reload caused a new negotiation"

ikm_log "the clear gateway and the host without IKE are reached in the clear"
run n1 ping -c 1 -W 5 10.15.0.1 >&2 || ikm_fail "n1 -> gateway (clear)"
# private-or-clear: clear text while IKE is tried (negotiationshunt=passthrough), and after no
# answer within retransmit-timeout, a failure pass shunt.
run n1 ping -c 1 -W 5 10.15.2.9 >&2 || ikm_fail "n1 -> private-or-clear host during negotiation"
failing() { cli 1 shuntstatus | grep -q "10.15.1.1/32 -0-> 10.15.2.9/32 => %pass    oe-failing"; }
ikm_wait_for 15 "the private-or-clear failure shunt" failing
run n1 ping -c 1 -W 5 10.15.2.9 >&2 || ikm_fail "n1 -> private-or-clear host after the failure"

ikm_capture_wait lan 10
ikm_capture_stop "$IKM_CAPTURE_PID"
wire=$(tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null)
clear_icmp=$(grep ICMP <<<"$wire" | grep -E '10\.15\.1\.[123] > 10\.15\.1\.[123]' || true)
[[ -z $clear_icmp ]] || ikm_fail "ICMP between mesh nodes in the clear: $clear_icmp"
grep -q 'ICMP echo request' <<<"$(grep '10.15.1.1 > 10.15.0.1' <<<"$wire")" || ikm_fail "the gateway ping is not in the capture"
grep -q 'UDP-encap\|\.4500 > ' <<<"$wire" || ikm_fail "no ESP-in-UDP in the capture"
ikm_log "$(grep -c . <<<"$wire") packets on the LAN, none of them mesh ICMP in the clear"
ikm_pass
