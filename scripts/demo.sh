#!/usr/bin/env bash
# The main job: the Libreswan mesh guide's procedure on a mesh of ikemesh nodes in network
# namespaces. Each node: an NSS database (`ikemesh initnss`), its certificate imported
# (`ikemesh import NODE.p12`), the guide's mesh.conf and policy files (examples/mesh-demo/),
# the daemon; then the first ping to a peer opens a tunnel and `ikemesh trafficstatus` shows
# it. As root, on Debian 12; installs and builds what it needs; removes all it made.
#
#   n1..n4    10.15.1.1-4  ikemeshd, group private (10.15.0.0/16)
#   gw        10.15.0.1    no IPsec, listed in policies/clear
#   legacy    10.15.2.9    no IPsec, in policies/private-or-clear: reached in the clear after IKE fails
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j2 --target ikemeshd ikemesh ikemesh-auth-x509 ikemesh-kernel-tun

export IKEMESH_BUILD=$top/build IKEMESH_ARTIFACTS=$top/build/demo-logs
source tests/lib/netns.sh
ikm_init demo
etc=$top/examples/mesh-demo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "a LAN bridge and six hosts in network namespaces"
ikm_lan
for i in 1 2 3 4; do ikm_node "n$i" "10.15.1.$i/16"; done
ikm_node gw 10.15.0.1/16
ikm_node legacy 10.15.2.9/16
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
ikm_capture lan "$(ikm_nsname lan)" br0 not arp and not ip6 and not igmp

say "a CA and one certificate per node, as NODE.p12 files (made with certutil and pk12util)"
certs=$IKM_TMP/certs
bash tests/lib/make-mesh-certs.sh "$certs" n1 n2 n3 n4
ls "$certs"/*.p12

say "on each node: initnss, import NODE.p12, the guide's mesh.conf and policies/, start"
for i in 1 2 3 4; do
  node=n$i
  nodeetc=$IKM_TMP/$node-etc
  mkdir -p "$nodeetc"
  cp -r "$etc/policies" "$nodeetc/"
  sed "s/nodeXXXX/$node/" "$etc/mesh.conf" >"$nodeetc/mesh.conf"
  nss=sql:$IKM_TMP/$node-nss
  echo "-- $node"
  "$IKM_BIN/ikemesh" initnss --nssdir "$nss"
  "$IKM_BIN/ikemesh" import "$certs/$node.p12" --password-file "$certs/p12-password" --nssdir "$nss"
  ikm_start_daemon "$node" "$(ikm_nsname "$node")" -- --config "$nodeetc/mesh.conf" --nssdir "$nss" \
    --plugindir "$top/build/plugins"
  declare "ctl$i=$IKM_CTL"
done
echo "-- certutil -L on n1's database:"
certutil -L -d "sql:$IKM_TMP/n1-nss"
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }
cli 1 status

say "ping: the first packet to each peer opens a tunnel"
for pair in "1 2" "1 3" "2 4" "3 4" "4 1"; do
  set -- $pair
  printf 'n%s -> 10.15.1.%s: ' "$1" "$2"
  run "n$1" ping -c 3 -i 0.2 -W 5 "10.15.1.$2" | grep -o '[0-9]* received'
done
printf 'n1 -> gw 10.15.0.1 (clear): '
run n1 ping -c 1 -W 5 10.15.0.1 | grep -o '[0-9]* received'
printf 'n2 -> legacy 10.15.2.9 (private-or-clear, no IKE there): '
run n2 ping -c 1 -W 5 10.15.2.9 | grep -o '[0-9]* received'

for i in 1 2 3 4; do
  say "ikemesh trafficstatus on n$i"
  cli "$i" trafficstatus --libreswan-prefix
done
say "ikemesh policy 10.15.2.9 on n2 (why it is private-or-clear)"
cli 2 policy 10.15.2.9

say "ikemesh shuntstatus on n2: clear text to legacy while IKE is tried (negotiationshunt=passthrough)"
cli 2 shuntstatus

say "what a capture on the LAN bridge saw"
seen_gw() { tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null | grep -q '10.15.0.1 > 10.15.1.1: ICMP echo reply'; }
ikm_wait_for 10 "the capture to be written" seen_gw
ikm_capture_stop "$IKM_CAPTURE_PID"
wire=$(tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null)
printf '%6d packets in all\n' "$(grep -c . <<<"$wire")"
printf '%6d IKE (UDP 500, and UDP 4500 with the non-ESP marker)\n' "$(grep -cE '\.500 > |NONESP-encap' <<<"$wire")"
printf '%6d ESP in UDP 4500\n' "$(grep -c 'UDP-encap' <<<"$wire")"
echo "ICMP in the clear (only the gateway and the legacy host may appear):"
{ grep ICMP <<<"$wire" || true; } | sed -E 's/^[0-9:.]+ IP //; s/, id .*//' | sort | uniq -c | sed 's/^/  /'
mesh=$(grep ICMP <<<"$wire" | grep -E '10\.15\.1\.[0-9]+ > 10\.15\.1\.[0-9]+' || true)
if [[ -n $mesh ]]; then
  echo "ERROR: ICMP between mesh nodes left in the clear" >&2
  exit 1
fi
echo "no packet between mesh nodes left in the clear."

ikm_pass
say "done; namespaces and daemons are being removed"
