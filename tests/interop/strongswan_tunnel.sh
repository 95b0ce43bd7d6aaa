#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ikemesh (kernel-tun) <-> strongSwan 5.9.8 charon (kernel-libipsec), X.509 certificates from
# one CA, tunnel mode, ESP in UDP (libipsec fakes a NAT, so ikemesh floats to port 4500):
# 1. ikemesh initiates on demand: the first ping is answered, TCP transfers (100 MB) arrive intact,
#    ikemesh's trafficstatus shows strongSwan's subject, swanctl --list-sas shows the SA, and
#    the byte counters of both sides agree;
# 2. strongSwan initiates (swanctl --initiate) after both restarted: the same checks.
source "$IKEMESH_TEST_LIB"
ikm_init interop-strongswan-tunnel
source "$IKEMESH_SOURCE/tests/interop/strongswan-common.sh"

ikm_log "1. ikemesh initiates on demand"
interop_start_ikemesh
interop_start_strongswan
run_ike ping -c 1 -W 10 "$swan_addr" >&2 || ikm_fail "the first ping through the tunnel got no answer"
expect_tunnel "ikemesh initiated"
expect_transfer 100 swan
expect_transfer 20 ike
run_ike ping -c 3 -i 0.2 -W 5 "$swan_addr" >/dev/null || ikm_fail "ping after the transfer"
expect_counters_match
expect_esp_in_udp

ikm_log "2. strongSwan initiates"
interop_stop_both
interop_start_ikemesh
interop_start_strongswan
swan_ctl --initiate --child ike --timeout 20 >"$swan_dir/initiate.log" 2>&1 ||
  ikm_fail "swanctl --initiate: $(tail -3 "$swan_dir/initiate.log")"
expect_tunnel "strongSwan initiated"
run_swan ping -c 3 -i 0.2 -W 5 "$ike_addr" >&2 || ikm_fail "ping from strongSwan's side"
run_ike ping -c 3 -i 0.2 -W 5 "$swan_addr" >/dev/null || ikm_fail "ping from ikemesh's side"
[[ $(ike_child_count) == 1 ]] || ikm_fail "ikemesh has $(ike_child_count) tunnels with strongSwan, expected 1"
expect_transfer 100 ike
expect_counters_match
ikm_stop_daemon "$ike_pid"
ikm_pass
