#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The 5 x 5 matrix of policy groups (issue 6): the initiator lists the responder in group I,
# the responder lists the initiator in group R, for I and R in {private, private-or-clear,
# clear-or-private, clear, block}. Five initiators (10.15.1.N, row N) and five responders
# (10.15.2.N, column N) run ikemeshd with kernel-tun and NULL auth; initiator I puts every
# responder in its group I, responder R every initiator in its group R, so the 25 pairs are
# independent and ping at the same moment. Each cell must give what a Libreswan user expects:
#
#                     responder: private  p-or-c  c-or-p  clear   block
#   initiator private            tunnel   tunnel  tunnel  none    none
#             private-or-clear   tunnel   tunnel  tunnel  clear   none
#             clear-or-private   tunnel   tunnel  clear   clear   none
#             clear              none     clear   clear   clear   none
#             block              none     none    none    none    none
#
# checked by the ping, by `trafficstatus` and `shuntstatus` on both nodes, and by a capture on
# the LAN (ESP or clear ICMP between the pair; none in the clear from a `private` side).
source "$IKEMESH_TEST_LIB"
ikm_init group-matrix
groups=(private private-or-clear clear-or-private clear block)
expected=(
  "tunnel tunnel tunnel none none"
  "tunnel tunnel tunnel clear none"
  "tunnel tunnel clear clear none"
  "none clear clear clear none"
  "none none none none none"
)
conf="$IKEMESH_SOURCE/tests/data/group-matrix/mesh.conf"

# policies/ of one node: the other side's /24 in GROUP, the other files empty.
write_policies() {
  local dir=$1 group=$2 cidr=$3 g
  mkdir -p "$dir"
  for g in "${groups[@]}"; do : >"$dir/$g"; done
  echo "$cidr" >"$dir/$group"
}

ikm_lan
lan=$(ikm_nsname lan)
for n in 1 2 3 4 5; do
  ikm_node "i$n" "10.15.1.$n/16"
  ikm_node "r$n" "10.15.2.$n/16"
done
for n in 1 2 3 4 5; do
  group=${groups[n - 1]}
  write_policies "$IKM_TMP/policies-i$n" "$group" 10.15.2.0/24
  write_policies "$IKM_TMP/policies-r$n" "$group" 10.15.1.0/24
  for side in i r; do
    ikm_start_daemon "$side$n" "$(ikm_nsname "$side$n")" -- --config "$conf" \
      --policies "$IKM_TMP/policies-$side$n" --plugindir "$IKEMESH_BUILD/plugins"
    declare "ctl_$side$n=$IKM_CTL" "pid_$side$n=$IKM_PID"
  done
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl_$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }

ikm_capture lan "$lan" br0 not arp
ikm_log "25 first pings at once, one per cell"
started=$SECONDS
declare -A ping_pid
for i in 1 2 3 4 5; do
  for r in 1 2 3 4 5; do
    run "i$i" ping -c 1 -W 5 "10.15.2.$r" >"$IKM_TMP/ping-$i$r.txt" 2>&1 &
    ping_pid[$i$r]=$!
  done
done
declare -A answered
for cell in "${!ping_pid[@]}"; do
  if wait "${ping_pid[$cell]}"; then answered[$cell]=1; else answered[$cell]=0; fi
done
ikm_log "first pings done in $((SECONDS - started))s"

# The tunnel cells carry a second ping through the tunnel that now exists.
for i in 1 2 3 4 5; do
  read -ra row <<<"${expected[i - 1]}"
  for r in 1 2 3 4 5; do
    [[ ${row[r - 1]} == tunnel ]] || continue
    run "i$i" ping -c 1 -W 3 "10.15.2.$r" >>"$IKM_TMP/ping-$i$r.txt" 2>&1 &
    ping_pid[$i$r]=$!
  done
done
declare -A second
for i in 1 2 3 4 5; do
  read -ra row <<<"${expected[i - 1]}"
  for r in 1 2 3 4 5; do
    [[ ${row[r - 1]} == tunnel ]] || continue
    if wait "${ping_pid[$i$r]}"; then second[$i$r]=1; else second[$i$r]=0; fi
  done
done

for n in 1 2 3 4 5; do
  for side in i r; do
    cli "$side$n" trafficstatus >"$IKM_TMP/traffic-$side$n.txt"
    cli "$side$n" shuntstatus >"$IKM_TMP/shunts-$side$n.txt"
  done
done
# A marker in the clear cell clear -> clear: once the capture file holds it, it holds
# everything sent before (tcpdump may still buffer packets when it is stopped).
run i4 ping -c 1 -s 1111 -W 3 10.15.2.4 >/dev/null || failures+=("the marker ping clear -> clear")
marker() { tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null | grep -q "10.15.2.4: ICMP echo request.*length 1119"; }
ikm_wait_for 10 "the marker in the capture" marker
ikm_capture_stop "$IKM_CAPTURE_PID"
tcpdump -n -r "$IKM_TMP/lan.pcap" >"$IKM_TMP/lan.txt" 2>/dev/null

failures=()
bad() { failures+=("cell ${groups[i - 1]} -> ${groups[r - 1]}: $*"); }
has_tunnel() { grep -q "\.\.\.$2, type=ESP" "$IKM_TMP/traffic-$1.txt"; }
wire() { grep -E "^[0-9:.]+ IP ${1//./\\.}(\.[0-9]+)? > ${2//./\\.}[.:]" "$IKM_TMP/lan.txt" || true; }
table="initiator \\ responder|$(printf '%s|' "${groups[@]}")"
for i in 1 2 3 4 5; do
  read -ra row <<<"${expected[i - 1]}"
  line="${groups[i - 1]}|"
  for r in 1 2 3 4 5; do
    want=${row[r - 1]} a="10.15.1.$i" b="10.15.2.$r"
    icmp_ab=$(wire "$a" "$b" | grep ICMP || true)
    icmp_ba=$(wire "$b" "$a" | grep ICMP || true)
    esp=$(wire "$a" "$b" | grep 'UDP-encap: ESP' || true)
    seen=none
    ((answered[$i$r])) && seen=clear
    has_tunnel "i$i" "$b" && seen=tunnel
    line+="$seen|"
    [[ $seen == "$want" ]] || bad "expected $want, saw $seen (ping $(tr '\n' ' ' <"$IKM_TMP/ping-$i$r.txt"))"
    case $want in
      tunnel)
        ((second[$i$r])) || bad "no reply to the second ping through the tunnel"
        has_tunnel "r$r" "$a" || bad "the responder shows no tunnel: $(cat "$IKM_TMP/traffic-r$r.txt")"
        [[ -n $esp ]] || bad "no ESP from the initiator on the LAN"
        ;;
      clear)
        has_tunnel "r$r" "$a" && bad "the responder shows a tunnel"
        grep -q 'echo request' <<<"$icmp_ab" || bad "no echo request in the clear"
        grep -q 'echo reply' <<<"$icmp_ba" || bad "no echo reply in the clear"
        [[ -z $esp ]] || bad "ESP on the LAN: $esp"
        ;;
      none)
        has_tunnel "r$r" "$a" && bad "the responder shows a tunnel"
        ! grep -q 'echo reply' <<<"$icmp_ba" || bad "an echo reply went out in the clear"
        [[ -z $esp ]] || bad "ESP on the LAN: $esp"
        ;;
    esac
    # private: nothing in the clear from that side, ever.
    [[ ${groups[i - 1]} == private && -n $icmp_ab ]] && bad "ICMP in the clear from the private initiator: $icmp_ab"
    [[ ${groups[r - 1]} == private && -n $icmp_ba ]] && bad "ICMP in the clear from the private responder: $icmp_ba"
    # block: not one packet from that side to the other (IKE included).
    [[ ${groups[i - 1]} == block && -n $(wire "$a" "$b") ]] && bad "the blocking initiator sent: $(wire "$a" "$b")"
  done
  table+=$'\n'"$line"
done

ikm_log "the failed negotiations left the failure shunt of the initiating side's conn"
expect_shunt() {  # NODE LOCAL PEER ACTION
  grep -qF "$2/32 -0-> $3/32 => $4    oe-failing" "$IKM_TMP/shunts-$1.txt" ||
    failures+=("$1: no '$4 oe-failing' shunt for $3: $(cat "$IKM_TMP/shunts-$1.txt")")
}
expect_shunt i1 10.15.1.1 10.15.2.4 %drop  # private -> clear
expect_shunt i1 10.15.1.1 10.15.2.5 %drop  # private -> block
expect_shunt i2 10.15.1.2 10.15.2.4 %pass  # private-or-clear -> clear
expect_shunt i2 10.15.1.2 10.15.2.5 %pass  # private-or-clear -> block
expect_shunt r1 10.15.2.1 10.15.1.4 %drop  # the private responder's reply to a clear initiator
expect_shunt r2 10.15.2.2 10.15.1.4 %pass  # the private-or-clear responder's reply to it
# Refused at once (NO_PROPOSAL_CHOSEN), not after retransmit-timeout.
grep -q "the responder refused IKE_SA_INIT: NO_PROPOSAL_CHOSEN" "$IKM_TMP/i1/daemon.log" ||
  failures+=("i1's log does not show the clear responder's NO_PROPOSAL_CHOSEN")
# What a clear responder sends back: one unprotected NO_PROPOSAL_CHOSEN notify, no SA payload.
answer=$(tcpdump -v -n -r "$IKM_TMP/lan.pcap" 'src host 10.15.2.4 and dst host 10.15.1.1 and udp port 500' 2>/dev/null)
[[ $answer == *"ikev2_init[R]"*"type=14(no_protocol_chosen)"* && $answer != *"(sa:"* ]] ||
  failures+=("the clear responder's answer to IKE_SA_INIT: $answer")
# clear-or-private, clear and block never initiate.
for n in 3 4 5; do
  grep -q "IP 10\.15\.1\.$n\.500 > .*ikev2_init\[I\]" "$IKM_TMP/lan.txt" &&
    failures+=("i$n (${groups[n - 1]}) started IKE")
done

column -t -s '|' <<<"$table" >&2
if ((${#failures[@]})); then
  printf '%s\n' "${failures[@]}" >&2
  ikm_fail "${#failures[@]} check(s) failed"
fi
for n in 1 2 3 4 5; do
  for side in i r; do
    pid="pid_$side$n"
    ikm_stop_daemon "${!pid}"
  done
done
ikm_pass
