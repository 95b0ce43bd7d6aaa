#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ikemeshd starts, lists every fixture plugin with its verdict, answers the CLI, reloads on
# SIGHUP and on `ikemesh reload`, refuses non-root users, and stops cleanly on `ikemesh stop`,
# SIGTERM and SIGINT.
source "$IKEMESH_TEST_LIB"
ikm_init daemon-lifecycle
cli() { "$IKM_BIN/ikemesh" --ctl "$IKM_CTL" "$@"; }
fixtures="$IKEMESH_BUILD/tests/fixtures/plugins/out"
# The daemons open UDP 500 and 4500: they run in a namespace of this test's.
ikm_ns_add node
ns=$(ikm_nsname node)

ikm_log "no daemon: one line and exit status 1"
set +e
out=$("$IKM_BIN/ikemesh" --ctl "$IKM_TMP/none.ctl" status 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "ikemesh without daemon exited $rc"
[[ $out == "ikemesh: cannot reach ikemeshd at $IKM_TMP/none.ctl: No such file or directory" ]] ||
  ikm_fail "unexpected message: $out"

ikm_log "start with the fixture plugins"
printf 'config setup\n\tplutodebug=none\n' >"$IKM_TMP/ipsec.conf"
ikm_start_daemon node1 "$ns" -- --plugindir "$fixtures" --config "$IKM_TMP/ipsec.conf"
mode=$(stat -c %a "$IKM_CTL")
[[ $mode == 600 ]] || ikm_fail "control socket mode is $mode, expected 600"

ikm_log "ikemesh plugins lists every fixture file with its verdict"
json=$(cli plugins --json)
files=$(find "$fixtures" -maxdepth 1 -name 'ikemesh-*.so' | wc -l)
listed=$(jq '.plugins | length' <<<"$json")
[[ $listed == "$files" ]] || ikm_fail "plugins lists $listed files, the fixture folder has $files"
loaded=$(jq -r '[.plugins[] | select(.verdict == "loaded") | .name] | join(" ")' <<<"$json")
[[ $loaded == "alpha beta gamma" ]] || ikm_fail "loaded plugins: '$loaded'"
for name in abi-major abi-minor no-descriptor no-factory not-elf relocatable dup-alpha unmet cycle-a throws \
  init-fails after-throws wrong-name; do
  reason=$(jq -r --arg n "$name" '.plugins[] | select(.name == $n) | .verdict + ": " + .reason' <<<"$json")
  [[ $reason == rejected:* && ${#reason} -gt 15 ]] || ikm_fail "fixture $name: '$reason'"
done
human=$(cli plugins)
ikm_expect_contains "$human" "rejected abi-major 1.0 (ABI 99.0)" "ikemesh plugins"
ikm_expect_contains "$human" "reason:   SDK ABI 99.0 is incompatible" "ikemesh plugins"
abi=$("$IKM_BIN/ikemeshd" --version | sed -n 's/.*plugin SDK ABI \([0-9]*\.[0-9]*\).*/\1/p')
ikm_expect_contains "$human" "loaded   beta 1.0 (ABI $abi)" "ikemesh plugins"
log=$(cat "$IKM_TMP/node1/daemon.log")
ikm_expect_contains "$log" "plugin 'throws': rejected - initialisation failed: factory threw" "daemon log"

ikm_log "status"
status=$(cli status)
ikm_expect_contains "$status" "plugins:  3 loaded, 14 rejected" "ikemesh status"
ikm_expect_contains "$status" "features: test.alpha test.beta test.gamma" "ikemesh status"
[[ $(cli status --json | jq .pid) == "$IKM_PID" ]] || ikm_fail "status --json pid"

ikm_log "the daemon kept only the capabilities it needs, in every thread and in its bounding set"
[[ $(cli status --json | jq -c .capabilities) == '["cap_net_bind_service","cap_net_admin","cap_net_raw"]' ]] ||
  ikm_fail "capabilities: $(cli status --json | jq -c .capabilities)"
# CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13): 0x3400.
for task in /proc/"$IKM_PID"/task/*; do
  for set in CapEff CapPrm CapBnd; do
    [[ $(awk -v s="$set:" '$1 == s {print $2}' "$task/status") == 0000000000003400 ]] ||
      ikm_fail "thread ${task##*/}: $set is $(awk -v s="$set:" '$1 == s {print $2}' "$task/status")"
  done
done

ikm_log "unknown command and bad request"
set +e
out=$(cli frobnicate 2>&1)
rc=$?
set -e
[[ $rc == 2 ]] || ikm_fail "unknown CLI command exited $rc"
reply=$(printf '{"id":1,"command":"frobnicate"}\nnot json\n' | timeout 5 socat -t 1 - "UNIX-CONNECT:$IKM_CTL")
ikm_expect_contains "$reply" "unknown command 'frobnicate'" "control socket"
ikm_expect_contains "$reply" "request is not a JSON object" "control socket"

ikm_log "a non-root user cannot use the control socket"
set +e
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$IKM_BIN/ikemesh" --ctl "$IKM_CTL" status 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "ikemesh as nobody exited $rc: $out"
ikm_expect_contains "$out" "Permission denied" "ikemesh as nobody"
# Even when the file mode would let it in, the daemon checks the peer's credentials.
chmod 666 "$IKM_CTL"
set +e
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$IKM_BIN/ikemesh" --ctl "$IKM_CTL" status 2>&1)
rc=$?
set -e
chmod 600 "$IKM_CTL"
[[ $rc == 1 ]] || ikm_fail "ikemesh as nobody through a 0666 socket exited $rc: $out"
ikm_expect_contains "$out" "permission denied: only root may control ikemeshd" "ikemesh as nobody (0666)"
ikm_wait_for 5 "the refusal in the log" grep -q "refused a control connection from uid 65534" "$IKM_TMP/node1/daemon.log"

ikm_log "watch streams log events"
"$IKM_BIN/ikemesh" --ctl "$IKM_CTL" watch --json >"$IKM_TMP/watch.out" 2>&1 &
watcher=$!
ikm_track $watcher
ikm_wait_for 5 "the watcher to connect" grep -q "watching log events" "$IKM_TMP/watch.out"

ikm_log "reload by CLI and by SIGHUP"
before=$(cli status --json | jq .reloads)
cli reload >/dev/null
kill -HUP "$IKM_PID"
ikm_wait_for 5 "two reloads" bash -c "[[ \$('$IKM_BIN/ikemesh' --ctl '$IKM_CTL' status --json | jq .reloads) == $((before + 2)) ]]"
ikm_wait_for 5 "the SIGHUP log line in the watch stream" grep -q '"text":"SIGHUP: reloading"' "$IKM_TMP/watch.out"
kill "$watcher" 2>/dev/null || true

ikm_log "a second daemon on the same socket is refused"
set +e
out=$(ip netns exec "$ns" "$IKM_BIN/ikemeshd" --nofork --rundir "$IKM_TMP/node1/run" --plugindir "$fixtures" --config "$IKM_TMP/ipsec.conf" 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "second daemon exited $rc"
ikm_expect_contains "$out" "another ikemeshd is listening on $IKM_CTL" "second daemon"

ikm_log "ikemesh stop: clean exit, socket removed"
cli stop >/dev/null
status=0
wait "$IKM_PID" || status=$?
[[ $status == 0 ]] || ikm_fail "ikemeshd exited $status after ikemesh stop"
[[ ! -e $IKM_CTL ]] || ikm_fail "control socket left behind"
grep -q "daemon: stopped" "$IKM_TMP/node1/daemon.log" || ikm_fail "no 'stopped' line"
grep -q "destroyed alpha" "$IKM_TMP/node1/daemon.log" || ikm_fail "plugins were not destroyed"

for signal in TERM INT; do
  ikm_log "SIG$signal: clean exit"
  ikm_start_daemon node-$signal "$ns" -- --plugindir "$fixtures" --config "$IKM_TMP/ipsec.conf"
  kill -$signal "$IKM_PID"
  status=0
  wait "$IKM_PID" || status=$?
  [[ $status == 0 ]] || ikm_fail "ikemeshd exited $status after SIG$signal"
  grep -q "stopping (SIG$signal)" "$IKM_TMP/node-$signal/daemon.log" || ikm_fail "no SIG$signal log line"
  [[ ! -e $IKM_CTL ]] || ikm_fail "control socket left behind after SIG$signal"
done

ikm_log "detached start returns once ready; a failed start is the exit status"
mkdir -p "$IKM_TMP/detached"
ip netns exec "$ns" "$IKM_BIN/ikemeshd" --rundir "$IKM_TMP/detached" --plugindir "$fixtures" --logfile "$IKM_TMP/detached/log" \
  --config "$IKM_TMP/ipsec.conf"
IKM_CTL="$IKM_TMP/detached/ikemesh.ctl"
pid=$(cli status --json | jq .pid)
ikm_track "$pid"
cli stop >/dev/null
ikm_wait_for 10 "the detached daemon to exit" bash -c "! kill -0 $pid"
set +e
out=$(ip netns exec "$ns" "$IKM_BIN/ikemeshd" --rundir /proc/forbidden --plugindir "$fixtures" --config "$IKM_TMP/ipsec.conf" 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || ikm_fail "a daemon that cannot start exited $rc"
ikm_expect_contains "$out" "cannot create run directory /proc/forbidden" "failed detached start"

ikm_pass
