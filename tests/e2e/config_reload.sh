#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guide's mesh.conf and policy files load unchanged; `ikemesh policy` explains lookups;
# reload (CLI and SIGHUP) applies a changed group and keeps the running configuration when
# the new one is wrong; bad configurations stop the daemon from starting, naming file:line.
source "$IKEMESH_TEST_LIB"
ikm_init config-reload
cli() { "$IKM_BIN/ikemesh" --ctl "$IKM_CTL" "$@"; }
providers="$IKEMESH_BUILD/tests/fixtures/plugins/stand-in"
fixtures="$IKEMESH_BUILD/tests/fixtures/plugins/out"
guide="$IKEMESH_SOURCE/tests/data/mesh-guide"

# A node of the guide's mesh: 10.15.1.1/16 on a veth pair whose both ends stay in its
# namespace (nothing leads out), default route into it.
ikm_ns_add node
ns=$(ikm_nsname node)
ip -n "$ns" link add mesh0 type veth peer name mesh0p
ip -n "$ns" link set mesh0p up
ip -n "$ns" addr add 10.15.1.1/16 dev mesh0
ip -n "$ns" link set mesh0 up
ip -n "$ns" route add default dev mesh0

etc="$IKM_TMP/etc"
mkdir -p "$etc"
cp -r "$guide/mesh.conf" "$guide/policies" "$etc/"

expect_start_failure() {  # WHAT EXPECTED-TEXT ARGS...
  local what=$1 expected=$2 out rc
  shift 2
  set +e
  out=$(ip netns exec "$ns" "$IKM_BIN/ikemeshd" --nofork --rundir "$IKM_TMP/failed" "$@" 2>&1)
  rc=$?
  set -e
  [[ $rc == 1 ]] || ikm_fail "$what: ikemeshd exited $rc"
  ikm_expect_contains "$out" "$expected" "$what"
}

ikm_log "the pasted-callout listing is refused with file:line and the hint"
cp "$guide/mesh-pasted-callouts.conf" "$etc/pasted.conf"
expect_start_failure "pasted callouts" \
  "$etc/pasted.conf:2: auto=ondemand 1: unexpected '1' after the value (a footnote number pasted from the guide?)" \
  --config "$etc/pasted.conf" --plugindir "$providers"

ikm_log "a conn whose plugins are not loaded is refused, naming key, value and what is loaded"
expect_start_failure "missing provider" \
  "conn 'private': authby=rsasig needs a plugin that provides 'auth.rsasig'; loaded: test.alpha, test.beta, test.gamma" \
  --config "$etc/mesh.conf" --plugindir "$fixtures"

ikm_log "a missing config file is refused"
expect_start_failure "missing config" "$etc/absent.conf" --config "$etc/absent.conf" --plugindir "$providers"

ikm_log "the guide's files load unchanged"
ikm_start_daemon node "$ns" -- --config "$etc/mesh.conf" --plugindir "$providers"
status=$(cli status --json)
[[ $(jq .connections <<<"$status") == 3 ]] || ikm_fail "expected 3 conns: $status"
[[ $(jq .groupEntries <<<"$status") == 4 ]] || ikm_fail "expected 4 group entries: $status"

ikm_log "ikemesh policy explains which group applies and why"
out=$(cli policy 10.15.7.7)
ikm_expect_contains "$out" "private" "policy 10.15.7.7"
ikm_expect_contains "$out" "10.15.0.0/16" "policy 10.15.7.7"
json=$(cli policy 10.15.0.2 --json)
[[ $(jq -r .from <<<"$json") == 10.15.1.1 ]] || ikm_fail "policy: source address for %defaultroute: $json"
[[ $(jq -r .match.group <<<"$json") == clear ]] || ikm_fail "policy 10.15.0.2: $json"
[[ $(jq -r .match.where <<<"$json") == "$etc/policies/clear:3" ]] || ikm_fail "policy 10.15.0.2 where: $json"
[[ $(jq -r '.lost[0].cidr' <<<"$json") == 10.15.0.0/16 ]] || ikm_fail "policy 10.15.0.2 lost: $json"
json=$(cli policy 10.15.9.9 --json)
[[ $(jq -r .match.negotiationshunt <<<"$json") == drop ]] || ikm_fail "private's negotiationshunt: $json"
[[ $(jq -r '.match.features | join(",")' <<<"$json") == auth.rsasig,dataplane.tun ]] || ikm_fail "features: $json"
json=$(cli policy 10.15.1.1 --json)
[[ $(jq -r .ownAddress <<<"$json") == true ]] || ikm_fail "own address: $json"
set +e
out=$(cli policy not-an-ip 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "policy not-an-ip exited $rc"
ikm_expect_contains "$out" "'not-an-ip' is not an IP address" "policy not-an-ip"

ikm_log "reload applies a changed group and reports only that"
echo "10.15.200.0/24" >>"$etc/policies/clear"
out=$(cli reload)
ikm_expect_contains "$out" "group 'clear': + 10.15.200.0/24" "reload"
[[ $out != *"'private'"* ]] || ikm_fail "reload reported an untouched group: $out"
[[ $(cli policy 10.15.200.9 --json | jq -r .match.group) == clear ]] || ikm_fail "the new entry does not apply"
out=$(cli reload)
ikm_expect_contains "$out" "no change" "reload without change"

ikm_log "a plugin-declared key is validated by its declaration"
sed -i 's/^conn private$/conn private\n\tstand-in-mode=loud/' "$etc/mesh.conf"
cli reload >/dev/null
sed -i 's/stand-in-mode=loud/stand-in-mode=shouting/' "$etc/mesh.conf"
set +e
out=$(cli reload 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "reload of a bad plugin key exited $rc"
ikm_expect_contains "$out" "$etc/mesh.conf:9:" "bad plugin key"
ikm_expect_contains "$out" "stand-in-mode" "bad plugin key"

ikm_log "a broken config on reload keeps the running one"
sed -i 's/stand-in-mode=shouting/frobnicate=yes/' "$etc/mesh.conf"
set +e
out=$(cli reload 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "reload of a broken config exited $rc"
ikm_expect_contains "$out" "configuration not reloaded, the running one stays" "broken reload"
ikm_expect_contains "$out" "$etc/mesh.conf:9: unknown key 'frobnicate'" "broken reload"
[[ $(cli policy 10.15.200.9 --json | jq -r .match.group) == clear ]] || ikm_fail "old config lost"
kill -HUP "$IKM_PID"
ikm_wait_for 5 "the SIGHUP refusal" grep -q "reload failed, keeping the running configuration" "$IKM_TMP/node/daemon.log"

ikm_log "fixed, it reloads on SIGHUP"
sed -i '/frobnicate=yes/d' "$etc/mesh.conf"
echo "10.15.201.0/24" >>"$etc/policies/clear"
kill -HUP "$IKM_PID"
ikm_wait_for 5 "the SIGHUP reload" grep -q "group 'clear': + 10.15.201.0/24" "$IKM_TMP/node/daemon.log"

ikm_stop_daemon "$IKM_PID"
ikm_pass
