#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In the ESP-capable guest (run-in-vm.sh): the site-to-site tunnel of tests/e2e/site_to_site.sh
# on kernel-xfrm. West (auto=start) and east (auto=add) each forward for a subnet behind them;
# the kernel carries the hosts' pings in tunnel-mode ESP (its out, in and fwd policies for the
# subnets), the LAN sees ESP and IKE only, and `ikemesh down s2s` removes the states on both
# sides; `ikemesh up s2s` brings them back. An auto=ondemand conn's trap is an XFRM policy
# between the two subnets.
[[ -n ${IKEMESH_IN_VM:-} ]] || exec bash "${IKEMESH_SOURCE:?}/tests/vm/run-in-vm.sh" "$0" "$@"
source "$IKEMESH_TEST_LIB"
ikm_init s2s-xfrm
etc="$IKM_TMP/etc"
mkdir -p "$etc"
for side in west east; do
  sed 's/^\tdataplane=tun$/\tdataplane=xfrm/' "$IKEMESH_SOURCE/tests/data/site-to-site/$side.conf" >"$etc/$side.conf"
done
grep -q "dataplane=xfrm" "$etc/west.conf" || ikm_fail "west.conf: dataplane not replaced"
plugins="$IKM_TMP/plugins"
mkdir -p "$plugins"
ln -s "$IKEMESH_BUILD/plugins/ikemesh-auth-null.so" "$IKEMESH_BUILD/plugins/ikemesh-kernel-xfrm.so" "$plugins/"
source "$IKEMESH_SOURCE/tests/vm/vm-lib.sh"
trap 'ikm_vm_dump_on_failure west east; ikm_cleanup' EXIT

source "$IKEMESH_SOURCE/tests/lib/site-to-site.sh"
ikm_two_sites "$etc" "$plugins" capture
established() { [[ $(cli "$1" connstatus s2s --json | jq -r .phase) == established ]]; }
tunnel_states() { run "$1" ip xfrm state | grep -c "mode tunnel" || true; }

ikm_wait_for 60 "west's s2s established" established west
ikm_wait_for 10 "east's s2s established" established east
for side in west east; do
  policy=$(run $side ip xfrm policy)
  for dir in out in fwd; do
    grep -B1 -A3 "dir $dir" <<<"$policy" | grep -q "mode tunnel" || ikm_fail "$side: no tunnel-mode $dir policy: $policy"
  done
  [[ $(tunnel_states $side) == 2 ]] || ikm_fail "$side: tunnel-mode states: $(run $side ip xfrm state)"
done
grep -q "src 198.51.100.0/24 dst 203.0.113.0/24" <<<"$(run west ip xfrm policy)" ||
  ikm_fail "west has no policy between the subnets: $(run west ip xfrm policy)"

ikm_log "the hosts reach each other through the kernel's tunnel"
run hostw ping -c 3 -i 0.2 -W 10 203.0.113.10 >&2 || ikm_fail "hostw -> hoste"
run hoste ping -c 3 -i 0.2 -W 10 198.51.100.10 >&2 || ikm_fail "hoste -> hostw"

ikm_log "down on west removes the states on both sides; up brings them back"
cli west down s2s >&2 || ikm_fail "down"
no_states() { [[ $(tunnel_states "$1") == 0 ]]; }
ikm_wait_for 10 "east's states gone" no_states east
no_states west || ikm_fail "west's states after down: $(run west ip xfrm state)"
out=$(cli west up s2s --timeout 60) || ikm_fail "up: $out"
echo "$out" >&2
[[ $out == 'up: "s2s" established, IKE SA #'*' (198.51.100.0/24 === 203.0.113.0/24)' ]] || ikm_fail "up's line: $out"
run hostw ping -c 2 -i 0.2 -W 10 203.0.113.10 >&2 || ikm_fail "hostw -> hoste after up"

ikm_log "ondemand: the trap is an outbound policy between the subnets with an ESP template"
cli west down s2s >&2 || ikm_fail "second down"
cli west ondemand s2s >&2 || ikm_fail "ondemand"
grep -A3 "src 198.51.100.0/24 dst 203.0.113.0/24" <<<"$(run west ip xfrm policy)" | grep -q "proto esp" ||
  ikm_fail "no trap policy: $(run west ip xfrm policy)"
# The kernel drops the packet that made the ACQUIRE; the next ones pass once the SA is up.
run hostw ping -c 1 -W 2 203.0.113.10 >/dev/null 2>&1 || true
ikm_wait_for 60 "the trap's first packet bringing s2s up" established west
run hostw ping -c 2 -i 0.2 -W 10 203.0.113.10 >&2 || ikm_fail "hostw -> hoste after the trap"

ikm_capture_stop "$IKM_CAPTURE_PID"
wire=$(tcpdump -n -r "$IKM_TMP/lan.pcap" 2>/dev/null)
other=$(grep -v 'ESP(spi=' <<<"$wire" | grep -v '\.500 > .*\.500: isakmp' || true)
[[ -z $other ]] || ikm_fail "packets other than IKE and ESP on the LAN: $(head -3 <<<"$other")"
ikm_log "$(grep -c 'ESP(spi=' <<<"$wire") ESP packets on the LAN, nothing else but IKE"
ikm_pass
