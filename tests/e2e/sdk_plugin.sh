#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The SDK as a third party sees it: `cmake --install` the tree into a prefix, build the
# out-of-tree example plugin (examples/auth-allowlist) against that prefix alone (CMake
# package and pkg-config), and run the installed daemon with it in a three-node mesh:
# authby=allowlist admits the listed peer (tunnel, ping answered) and refuses the other
# (AUTHENTICATION_FAILED, logged with the reason, nothing installed).
source "$IKEMESH_TEST_LIB"
ikm_init sdk-plugin
prefix="$IKM_TMP/prefix"
example="$IKEMESH_SOURCE/examples/auth-allowlist"

ikm_log "install the tree into $prefix"
cmake --install "$IKEMESH_BUILD" --prefix "$prefix" >"$IKM_TMP/install.log" || ikm_fail "cmake --install"
for f in include/ikemesh/plugin.hpp lib/cmake/ikemesh/ikemeshConfig.cmake lib/pkgconfig/ikemesh.pc sbin/ikemeshd; do
  [[ -e $prefix/$f ]] || ikm_fail "not installed: $f"
done

ikm_log "build the example plugin with only the installed SDK (a copy, far from the source tree)"
cp -r "$example" "$IKM_TMP/example"
cmake -S "$IKM_TMP/example" -B "$IKM_TMP/example-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$IKM_TMP/example-configure.log" ||
  ikm_fail "configuring the example: $(cat "$IKM_TMP/example-configure.log")"
grep -q "ikemesh SDK ABI 1\.[0-9]*" "$IKM_TMP/example-configure.log" || ikm_fail "the CMake package gave no ABI"
cmake --build "$IKM_TMP/example-build" >"$IKM_TMP/example-build.log" 2>&1 ||
  ikm_fail "building the example: $(cat "$IKM_TMP/example-build.log")"
plugin_dir="$IKM_TMP/example-build/plugins"
[[ -f $plugin_dir/ikemesh-auth-allowlist.so ]] || ikm_fail "no ikemesh-auth-allowlist.so"
if grep -rq "$IKEMESH_SOURCE" "$IKM_TMP/example-build/build.ninja"; then
  ikm_fail "the example build refers to the source tree"
fi
ikm_log "pkg-config gives the same headers"
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags ikemesh)
g++ $flags -fsyntax-only "$IKM_TMP/example/Allowlist.cpp" || ikm_fail "compiling with pkg-config --cflags: $flags"
[[ $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=sdk_abi ikemesh) == 1.* ]] ||
  ikm_fail "ikemesh.pc has no sdk_abi"

ikm_log "the example passes the SDK's conformance checks"
printf '192.0.2.1\n192.0.2.2\n' >"$IKM_TMP/conformance-allowlist"
"$IKEMESH_BUILD/tests/conformance/plugin_conformance" "$plugin_dir/ikemesh-auth-allowlist.so" \
  --set "initiator/allowlist-file=$IKM_TMP/conformance-allowlist" \
  --set "responder/allowlist-file=$IKM_TMP/conformance-allowlist" >&2 || ikm_fail "auth-allowlist does not conform"

ikm_log "three nodes run the installed daemon with the example plugin"
installed_plugins=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=plugindir ikemesh)
[[ -f $installed_plugins/ikemesh-kernel-tun.so ]] || ikm_fail "pkg-config's plugindir $installed_plugins has no plugins"
IKM_BIN="$prefix/sbin"
etc="$IKM_TMP/etc"
mkdir -p "$etc/policies"
echo "192.0.2.0/24" >"$etc/policies/private"
printf '# the peers this mesh admits\n192.0.2.1\n192.0.2.2/32\n' >"$etc/allowlist"
cat >"$etc/mesh.conf" <<CONF
config setup
	dataplane=tun

conn private
	auto=ondemand
	type=transport
	authby=allowlist
	allowlist-file=$etc/allowlist
	leftid=%null
	rightid=%null
	failureshunt=drop
	negotiationshunt=drop
	left=%defaultroute
	right=%opportunisticgroup
CONF
ikm_lan
for i in 1 2 3; do
  ikm_node "n$i" "192.0.2.$i/24"
  ikm_start_daemon "n$i" "$(ikm_nsname "n$i")" -- --config "$etc/mesh.conf" \
    --plugindir "$installed_plugins" --plugindir "$plugin_dir"
  declare "ctl$i=$IKM_CTL"
done
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
cli() { local ctl="ctl$1"; "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"; }

plugins=$(cli 1 plugins --json)
[[ $(jq -r '.plugins[] | select(.name == "auth-allowlist") | .verdict' <<<"$plugins") == loaded ]] ||
  ikm_fail "auth-allowlist not loaded: $plugins"
[[ $(jq -r '.plugins[] | select(.name == "auth-allowlist") | .file' <<<"$plugins") == "$plugin_dir"/* ]] ||
  ikm_fail "auth-allowlist not from $plugin_dir: $plugins"

ikm_log "a listed peer: tunnel, first ping answered"
run n1 ping -c 1 -W 10 192.0.2.2 >&2 || ikm_fail "n1 -> n2: no reply"
traffic=$(cli 1 trafficstatus)
echo "$traffic" >&2
ikm_expect_contains "$traffic" "...192.0.2.2, type=ESP" "n1 trafficstatus"
ikm_expect_contains "$traffic" "id='ID_NULL (allowlisted 192.0.2.2)'" "n1 trafficstatus"

ikm_log "an unlisted peer: refused by n1, no tunnel, no reply"
if run n1 ping -c 1 -W 3 192.0.2.3 >&2; then ikm_fail "n1 -> n3 answered although n3 is not listed"; fi
refused() { grep -q "peer 192.0.2.3 is not in $etc/allowlist (2 entries)" "$IKM_TMP/n1/daemon.log"; }
ikm_wait_for 10 "n1's refusal of n3" refused
[[ $(cli 1 trafficstatus --json | jq '[.tunnels[] | select(.line | contains("...192.0.2.3,"))] | length') == 0 ]] ||
  ikm_fail "n1 has a tunnel to the unlisted n3"
[[ $(cli 3 trafficstatus --json | jq '.tunnels | length') == 0 ]] || ikm_fail "n3 installed a tunnel"

ikm_log "a bad line in the list is named with its file and line"
echo "not-an-address" >>"$etc/allowlist"
if run n2 ping -c 1 -W 3 192.0.2.3 >&2; then ikm_fail "n2 -> n3 answered with a broken allowlist"; fi
broken() { grep -q "allowlist-file=$etc/allowlist:4: 'not-an-address' is not an address or a prefix" "$IKM_TMP"/n[23]/daemon.log; }
ikm_wait_for 10 "the bad line reported" broken

ikm_log "a plugin file removed under the running daemon (a package removal) shows as removed; a new one as new"
mv "$plugin_dir/ikemesh-auth-allowlist.so" "$IKM_TMP/ikemesh-auth-allowlist.so.removed"
cp "$installed_plugins/ikemesh-auth-null.so" "$plugin_dir/ikemesh-auth-null.so"
plugins=$(cli 1 plugins)
echo "$plugins" >&2
ikm_expect_contains "$plugins" "removed  auth-allowlist" "ikemesh plugins after the removal"
ikm_expect_contains "$plugins" "new      auth-null" "ikemesh plugins after an install"
cli 1 status >/dev/null || ikm_fail "the daemon stopped answering after its plugin file went away"
run n1 ping -c 1 -W 5 192.0.2.2 >&2 || ikm_fail "the tunnel of the removed plugin's method stopped"
ikm_pass
