#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel-tun dataplane against real kernel objects: two namespaces joined by a veth pair
# (192.0.2.1, 192.0.2.2) and, for IPv6, a second pair (2001:db8:4500::1, ::2), nothing else. The GoogleTest program kernel_tun_e2e does the work;
# this script owns the namespaces and removes them on every exit path (netns.sh trap).
source "$IKEMESH_TEST_LIB"
ikm_init kernel-tun
ikm_ns_add a
ikm_ns_add b
ns_a=$(ikm_nsname a)
ns_b=$(ikm_nsname b)
ip -n "$ns_a" link add veth-a type veth peer name veth-b netns "$ns_b"
ip -n "$ns_a" addr add 192.0.2.1/24 dev veth-a
ip -n "$ns_b" addr add 192.0.2.2/24 dev veth-b
# IPv4 only on the link: IPv6 autoconfiguration would put MLD reports in the capture that
# proves nothing else leaves in the clear.
ip netns exec "$ns_a" sysctl -qw net.ipv6.conf.veth-a.disable_ipv6=1
ip netns exec "$ns_b" sysctl -qw net.ipv6.conf.veth-b.disable_ipv6=1
ip -n "$ns_a" link set veth-a up
ip -n "$ns_b" link set veth-b up
# A second link for the IPv6 test (2001:db8::/32, RFC 3849), apart from the captured one.
ip -n "$ns_a" link add six-a type veth peer name six-b netns "$ns_b"
ip -n "$ns_a" addr add 2001:db8:4500::1/64 dev six-a nodad
ip -n "$ns_b" addr add 2001:db8:4500::2/64 dev six-b nodad
ip -n "$ns_a" link set six-a up
ip -n "$ns_b" link set six-b up

IKM_NS_A=$ns_a IKM_NS_B=$ns_b IKM_TMP=$IKM_TMP \
  "$IKEMESH_BUILD/tests/e2e/kernel_tun_e2e" --gtest_brief=0 2>&1 | tee "$IKM_TMP/kernel_tun_e2e.log"
status=${PIPESTATUS[0]}
((status == 0)) || ikm_fail "kernel_tun_e2e exited $status (log: kernel_tun_e2e.log)"
ikm_pass
